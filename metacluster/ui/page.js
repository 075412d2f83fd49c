// metacluster's page script (st.html with JavaScript): what the map needs from the page
// that deck.gl's JSON cannot say. Installed once per page; it looks for its elements on
// every tick, since Streamlit redraws them.
// - The mouse wheel over the map scrolls the page; it zooms only with Ctrl/Cmd held or
//   once the map was clicked (it has the focus), until a click elsewhere.
// - Zoom buttons (+ / −) on every map.
// - Presentation mode: a clicker's →, PageDown and Space go to the next tour stop,
//   ← and PageUp to the previous one; the map fills the window's height.
(() => {
  if (window.__metaclusterPage) return;
  window.__metaclusterPage = true;
  const CHART = '[data-testid="stDeckGlJsonChart"]';
  const CREDITS_PX = 72; // the attribution line under the map, with its gap, stays on screen
  let active = null; // the map that was clicked last: it takes the wheel

  document.addEventListener("pointerdown", (event) => {
    active = event.target.closest ? event.target.closest(CHART) : null;
  }, true);

  window.addEventListener("wheel", (event) => {
    const chart = event.target.closest ? event.target.closest(CHART) : null;
    if (chart && !(event.ctrlKey || event.metaKey || chart === active)) {
      event.stopPropagation(); // deck.gl never sees it: the page scrolls
    }
  }, { capture: true, passive: true });

  function zoom(chart, steps) {
    const canvas = chart.querySelector("canvas");
    if (!canvas) return;
    const box = canvas.getBoundingClientRect();
    canvas.dispatchEvent(new WheelEvent("wheel", {
      bubbles: true, cancelable: true, ctrlKey: true, deltaMode: 0,
      deltaY: -120 * steps, clientX: box.left + box.width / 2,
      clientY: box.top + box.height / 2,
    }));
  }

  function button(label, title, steps, chart) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.className = "metacluster-zoom";
    b.style.cssText = "display:block;width:34px;height:34px;margin:0 0 6px 0;" +
      "font:600 20px/1 sans-serif;border:1px solid #bbb;border-radius:6px;" +
      "background:#fff;color:#333;cursor:pointer;box-shadow:0 1px 3px rgba(0,0,0,.2)";
    b.addEventListener("click", (event) => { event.preventDefault(); zoom(chart, steps); });
    return b;
  }

  function fillHeight(chart) {
    // presentation mode: the map takes the window's height below it, minus the credits
    // (Streamlit sizes the chart, its full-screen frame and its element box: all follow)
    const present = document.querySelector(".st-key-tour_next");
    const boxes = [chart, chart.parentElement, chart.parentElement.parentElement];
    if (!present) {
      if (chart.dataset.mcFilled) {
        boxes.forEach((box) => { box.style.height = ""; });
        delete chart.dataset.mcFilled;
      }
      return;
    }
    const top = chart.getBoundingClientRect().top + window.scrollY;
    const height = Math.max(240, Math.floor(window.innerHeight - top - CREDITS_PX));
    if (chart.dataset.mcFilled !== String(height)) {
      boxes.forEach((box) => { box.style.height = height + "px"; });
      chart.dataset.mcFilled = String(height);
    }
  }

  function tick() {
    document.querySelectorAll(CHART).forEach((chart) => {
      if (!chart.querySelector(".metacluster-zooms")) {
        const box = document.createElement("div");
        box.className = "metacluster-zooms";
        box.style.cssText = "position:absolute;top:10px;left:10px;z-index:5";
        box.append(button("+", "Zoom in", 1, chart), button("−", "Zoom out", -1, chart));
        if (getComputedStyle(chart).position === "static") chart.style.position = "relative";
        chart.append(box);
      }
      fillHeight(chart);
    });
  }
  setInterval(tick, 300);
  window.addEventListener("resize", tick);

  const NEXT = new Set(["ArrowRight", "PageDown", " ", "Spacebar"]);
  const PREVIOUS = new Set(["ArrowLeft", "PageUp"]);
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    const key = NEXT.has(event.key) ? "next" : PREVIOUS.has(event.key) ? "previous" : null;
    const target = key && document.querySelector(`.st-key-tour_${key} button`);
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    if (!target.disabled) target.click();
  }, true);
})();
