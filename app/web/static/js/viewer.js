// Opens the item's IIIF manifest in Mirador (vendor/mirador, installed at setup by build.sh).
(function () {
  "use strict";
  var element = document.getElementById("viewer");
  if (!element || !window.Mirador) {
    return;
  }
  element.textContent = "";
  element.classList.add("viewer--active");

  function start(canvasId) {
    var window0 = { manifestId: element.dataset.manifest, thumbnailNavigationPosition: "far-bottom" };
    if (canvasId) {
      window0.canvasId = canvasId;
    }
    return window.Mirador.viewer({
      id: "viewer",
      windows: [window0],
      window: {
        allowClose: false,
        allowMaximize: false,
        allowFullscreen: true,
        hideWindowTitle: true,
        sideBarOpen: false
      },
      // One window, no tiling workspace: Mirador then renders the window alone. (Its mosaic
      // workspace also logs a React 19 deprecation error on every load.)
      workspace: { allowNewWindows: false, type: "single" },
      workspaceControlPanel: { enabled: false }
    });
  }

  // A restricted image: Mirador 4.0 shows its sign-in prompt and, once the reader has signed in
  // (IIIF Authorization), fetches the image's info.json again, but keeps the refused one in its
  // image layer, so no tile is ever asked for. Start the viewer again then, on the same page: the
  // session cookie lets info.json and the tiles through.
  function watch(viewer) {
    var refused = {};
    var unsubscribe = viewer.store.subscribe(function () {
      var state = viewer.store.getState();
      var infos = state.infoResponses || {};
      var allowed = Object.keys(infos).some(function (id) {
        var info = infos[id];
        if (info.degraded) {
          refused[id] = true;
          return false;
        }
        return refused[id] && info.isFetching === false && !info.error && info.json;
      });
      if (!allowed) {
        return;
      }
      unsubscribe();
      var windows = state.windows || {};
      var first = windows[Object.keys(windows)[0]] || {};
      window.setTimeout(function () {
        viewer.unmount();
        watch(start(first.canvasId));
      }, 0);
    });
  }

  watch(start());
})();
