// Opens the item's IIIF manifest in Mirador (vendor/mirador, installed at setup by build.sh).
(function () {
  "use strict";
  var element = document.getElementById("viewer");
  if (!element || !window.Mirador) {
    return;
  }
  element.textContent = "";
  element.classList.add("viewer--active");

  function start(store) {
    var config = {
      id: "viewer",
      windows: [
        {
          manifestId: element.dataset.manifest,
          canvasId: element.dataset.canvas || undefined, // a search result's page
          thumbnailNavigationPosition: "far-bottom"
        }
      ],
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
    };
    return store ? window.Mirador.viewer(config, { store: store }) : window.Mirador.viewer(config);
  }

  // A restricted image: Mirador 4.0 shows its sign-in prompt and, once the reader has signed in
  // (IIIF Authorization), fetches the image's info.json again, but keeps the refused answer in its
  // image layer, so no tile is ever asked for. Render the viewer again then, on the same store (its
  // windows, answers and sign-in kept): the layer is made from the allowed answer.
  function watch(viewer) {
    var store = viewer.store;
    var refused = {};
    var unsubscribe = store.subscribe(function () {
      var infos = store.getState().infoResponses || {};
      var allowed = Object.keys(infos).filter(function (id) {
        var info = infos[id];
        if (info.degraded) {
          refused[id] = true;
          return false;
        }
        return refused[id] && info.isFetching === false && !info.error && info.json;
      });
      if (allowed.length) {
        unsubscribe();
        window.setTimeout(function () {
          viewer.unmount();
          watch(start(store));
        }, 0);
      }
    });
  }

  watch(start());
})();
