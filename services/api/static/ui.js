// Live updates: a page whose <main> has data-live="N" asks for its main part again every N
// seconds (the X-Partial header) and swaps it in. The server renders it escaped, as it renders
// the page; nothing here builds HTML from data. A login that lapsed shows as the login page.
"use strict";
(function () {
  const main = document.getElementById("main");
  const every = main && Number(main.dataset.live);
  if (!every) return;
  async function refresh() {
    if (document.hidden) return;
    try {
      const answer = await fetch(location.href, { headers: { "X-Partial": "1" }, credentials: "same-origin" });
      if (answer.redirected) { location.assign(answer.url); return; }
      if (answer.ok) main.innerHTML = await answer.text();
    } catch (error) {
      // the console is restarting: try again at the next tick
    }
  }
  setInterval(refresh, every * 1000);
})();
