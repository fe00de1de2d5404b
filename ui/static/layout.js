// The layout helper (ui/widgets/layout.py): collapses the sidebar once per page load on a narrow
// screen or in the presenter display, keeps a phone turned sideways from opening it over the
// canvas, and tells Python once the canvas is laid out on a page's first run. Static: the only
// values it reads come from Python in `data` (presenter, await_canvas, narrow).
const canvasReady = () => {
  for (const host of document.querySelectorAll(".st-key-canvas, .st-key-canvas *")) {
    const root = host.shadowRoot || host;
    if (root.querySelector(".digit-canvas[data-side]")) return true;
  }
  return false;
};
export default function (component) {
  const { data, setTriggerValue } = component;
  // Once per server session (its token): a browser that reconnects to a server that never knew
  // its session (a restarted server, another replica) gets a first run again, sidebar left out.
  if (data.await_canvas && window.__digitStudioCanvasTold !== data.await_canvas) {
    window.__digitStudioCanvasTold = data.await_canvas;
    const tell = (left) => {
      if (canvasReady() || left <= 0) setTriggerValue("canvas_ready", true);
      else setTimeout(() => tell(left - 1), 50);
    };
    tell(200); // at most 10 s: then the sidebar comes anyway
  }
  if (!window.__digitStudioRotate) {
    // A phone turned to landscape crosses Streamlit's own breakpoint, and Streamlit then opens the
    // sidebar over the canvas, before the resize event arrives. A sidebar that opened together
    // with a change of width (not by a tap) is collapsed again.
    window.__digitStudioRotate = { openedAt: -1e9, width: window.innerWidth };
    const watch = () => {
      const bar = document.querySelector('section[data-testid="stSidebar"]');
      if (!bar) return void setTimeout(watch, 200);
      new MutationObserver(() => {
        if (bar.dataset.collapsed === "false") window.__digitStudioRotate.openedAt = performance.now();
      }).observe(bar, { attributes: true, attributeFilter: ["data-collapsed"] });
    };
    watch();
    window.addEventListener("resize", () => {
      const seen = window.__digitStudioRotate;
      if (window.innerWidth === seen.width) return; // a phone's address bar: the height only
      seen.width = window.innerWidth;
      setTimeout(() => {
        const bar = document.querySelector('section[data-testid="stSidebar"]');
        const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
        const justOpened = performance.now() - seen.openedAt < 1000;
        if (window.innerWidth <= data.narrow && justOpened && bar && bar.dataset.collapsed === "false" && button)
          button.click();
      }, 300);
    });
  }
  if (window.__digitStudioCollapsed) return;
  if (!(data.presenter || window.innerWidth <= data.narrow)) return;
  window.__digitStudioCollapsed = true;
  // Only the sidebar as it first appears: one that came collapsed (a phone) and was then opened
  // is the person's own doing, and stays open.
  const tryCollapse = (left) => {
    const bar = document.querySelector('section[data-testid="stSidebar"]');
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (bar && bar.dataset.collapsed === "true") return;
    if (bar && bar.dataset.collapsed === "false" && button) button.click();
    else if (left > 0) setTimeout(() => tryCollapse(left - 1), 100);
  };
  tryCollapse(150); // the sidebar may come after the canvas: up to 15 s
}
