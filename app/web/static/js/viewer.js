// Opens the item's IIIF manifest in Mirador (vendor/mirador, installed at setup by build.sh).
(function () {
  "use strict";
  var element = document.getElementById("viewer");
  if (!element || !window.Mirador) {
    return;
  }
  element.textContent = "";
  element.classList.add("viewer--active");
  window.Mirador.viewer({
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
  });
})();
