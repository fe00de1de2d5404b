// Digit Studio's drawing canvas: a Streamlit components-v2 module (plain JS, no build step).
//
// The canvas is as wide as its column (capped so that it ends above the fold), yet every
// stroke is kept in the coordinates of a 280x280 drawing, width included: Python renders that
// drawing, so the model sees the same digit on a phone, a laptop or a projector.
// Pointer events serve mouse, touch and pen alike. The toolbar is Undo and Clear, below the
// drawing surface, so nothing covers any part of it.

const SIZE = 280; // the drawing's side, in the units every stroke is stored in
const MAX_STROKES = 100; // bounds on what one drawing may send (ui/canvas.py checks them again)
const MAX_POINTS = 4000; // in all strokes together
const MIN_STEP = 1; // a point closer than this to the last one adds nothing
const MIN_SIDE = 160; // never smaller than this on screen, even if that means scrolling
const SHORT_MARGIN = 8; // px above a canvas that fills a short screen's height

function setup(root) {
  root.innerHTML = "";
  const surface = document.createElement("div");
  surface.className = "surface";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", "Drawing canvas: draw one digit with the mouse, a finger or a pen");
  surface.appendChild(canvas);
  const bar = document.createElement("div");
  bar.className = "toolbar";
  const undo = document.createElement("button");
  undo.type = "button";
  undo.textContent = "Undo";
  undo.title = "Take back the last stroke";
  const clear = document.createElement("button");
  clear.type = "button";
  clear.textContent = "Clear";
  clear.title = "Empty the canvas";
  bar.append(undo, clear);
  root.append(surface, bar);
  const s = { root, surface, canvas, undo, clear, strokes: [], active: null, side: 0, scale: 1 };

  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    const k = SIZE / r.width;
    return [Math.round((e.clientX - r.left) * k * 10) / 10, Math.round((e.clientY - r.top) * k * 10) / 10];
  };
  canvas.addEventListener("pointerdown", (e) => {
    if (s.active !== null || e.button > 0 || s.strokes.length >= MAX_STROKES || points(s) >= MAX_POINTS) return;
    e.preventDefault();
    s.active = { id: e.pointerId, w: s.pen, p: point(e) };
    s.strokes.push(s.active);
    canvas.setPointerCapture(e.pointerId);
    redraw(s);
  });
  canvas.addEventListener("pointermove", (e) => {
    const a = s.active;
    if (a === null || e.pointerId !== a.id) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    let left = MAX_POINTS - points(s);
    for (const ev of events.length ? events : [e]) {
      const [x, y] = point(ev);
      const n = a.p.length;
      if (left > 0 && Math.hypot(x - a.p[n - 2], y - a.p[n - 1]) >= MIN_STEP) {
        a.p.push(x, y);
        left -= 1;
      }
    }
    redraw(s);
  });
  const end = (e) => {
    if (s.active === null || e.pointerId !== s.active.id) return;
    delete s.active.id;
    s.active = null;
    send(s);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  undo.addEventListener("click", () => {
    if (s.active !== null || !s.strokes.length) return;
    s.strokes.pop();
    redraw(s);
    send(s);
  });
  clear.addEventListener("click", () => {
    if (s.active !== null || !s.strokes.length) return;
    s.strokes = [];
    redraw(s);
    send(s);
  });
  return s;
}

function points(s) {
  return s.strokes.reduce((n, t) => n + t.p.length / 2, 0);
}

function send(s) {
  s.setStateValue("strokes", s.strokes.map((t) => ({ w: t.w, p: t.p })));
  s.undo.disabled = s.clear.disabled = !s.strokes.length;
}

function redraw(s) {
  const ctx = s.canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, s.canvas.width, s.canvas.height);
  ctx.setTransform(s.scale, 0, 0, s.scale, 0, 0);
  ctx.strokeStyle = ctx.fillStyle = "#fff";
  ctx.lineCap = ctx.lineJoin = "round";
  for (const t of s.strokes) {
    const p = t.p;
    ctx.lineWidth = t.w;
    ctx.beginPath();
    if (p.length === 2) {
      ctx.arc(p[0], p[1], t.w / 2, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    ctx.moveTo(p[0], p[1]);
    for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i], p[i + 1]);
    ctx.stroke();
  }
}

// The column the canvas stands in (Streamlit's stColumn), found across the component's shadow root.
function columnOf(el) {
  for (let n = el; n; n = n.parentElement || (n.getRootNode && n.getRootNode().host)) {
    if (n.dataset && n.dataset.testid === "stColumn") return n;
  }
  return null;
}

// A short screen (a phone turned sideways): below the title and the tabs there is no room for a
// canvas worth drawing on (160 px was all it got). The page scrolls anyway, so the canvas fits
// the screen's height once its column is scrolled up to Streamlit's header: the column's top
// (the Draw / Upload tabs beside the answer), the canvas and its toolbar on one screen.
function shortRoom(s, reserve) {
  const header = document.querySelector('[data-testid="stHeader"]');
  const above = header ? header.getBoundingClientRect().height : 0; // opaque: it covers what scrolls under it
  const column = columnOf(s.root);
  const inColumn = column ? s.root.getBoundingClientRect().top - column.getBoundingClientRect().top : 0;
  const room = window.innerHeight - above - inColumn - reserve - SHORT_MARGIN;
  // A column whose top part is taller than the screen: the canvas and its toolbar alone.
  return room >= MIN_SIDE ? room : window.innerHeight - above - reserve - SHORT_MARGIN;
}

// Square, as wide as the column, and short enough to end `reserve` px above the fold
// (more where Streamlit stacks the columns, so the answer below it stays on screen too);
// on a screen too short for that, as tall as the screen.
function layout(s) {
  const width = s.root.clientWidth;
  if (!width) return; // in a hidden tab: laid out when it is shown
  // Where the canvas sits on the page, however far it is scrolled (Streamlit scrolls its main
  // area, not the window): a stroke's rerun after scrolling must not resize it.
  const main = document.querySelector('[data-testid="stMain"]');
  const top = s.root.getBoundingClientRect().top + window.scrollY + (main ? main.scrollTop : 0);
  const stacked = window.innerWidth < 640;
  const reserve = s.bar.offsetHeight + (stacked ? s.fit.reserveStacked : s.fit.reserve);
  let room = window.innerHeight - top - reserve;
  if (room < MIN_SIDE) room = shortRoom(s, reserve);
  const side = Math.floor(Math.max(MIN_SIDE, Math.min(width, room, s.fit.maxSide || Infinity)));
  const dpr = window.devicePixelRatio || 1;
  if (side === s.side && dpr === s.dpr) return;
  s.side = side;
  s.dpr = dpr;
  s.surface.style.width = s.surface.style.height = `${side}px`;
  s.canvas.width = s.canvas.height = Math.round(side * dpr);
  s.scale = s.canvas.width / SIZE;
  s.root.dataset.side = String(side);
  redraw(s);
}

export default function (component) {
  const { parentElement, setStateValue } = component;
  // Python sends its data as a list of one object (see draw() in ui/canvas.py).
  const data = (Array.isArray(component.data) ? component.data[0] : component.data) || {};
  let root = parentElement.querySelector(".digit-canvas");
  if (!root) {
    root = document.createElement("div");
    root.className = "digit-canvas";
    parentElement.appendChild(root);
  }
  let s = root.__digitCanvas;
  if (!s) {
    s = setup(root);
    s.bar = root.querySelector(".toolbar");
    root.__digitCanvas = s;
    // A freshly mounted canvas (a layout change, a remount) starts from the drawing Python kept.
    s.strokes = (data.strokes || []).map((t) => ({ w: t.w, p: t.p.slice() }));
  }
  s.setStateValue = setStateValue;
  s.pen = data.pen;
  s.fit = data.fit;
  s.undo.disabled = s.clear.disabled = !s.strokes.length;
  layout(s);
  const relayout = () => layout(s);
  const observer = new ResizeObserver(relayout);
  observer.observe(root);
  window.addEventListener("resize", relayout);
  // The column's top moves while the rest of the page renders: settle once it has.
  const timer = setTimeout(relayout, 300);
  return () => {
    observer.disconnect();
    window.removeEventListener("resize", relayout);
    clearTimeout(timer);
  };
}
