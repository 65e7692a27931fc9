// Live updates: the list's rows and a run's timeline arrive as server-sent events. The server
// renders (and escapes) every fragment; this only places them.
"use strict";
(function () {
  function liveList(table) {
    var body = document.getElementById("rows");
    var source = new EventSource(table.dataset.live);
    source.addEventListener("rows", function (message) { body.innerHTML = message.data; });
  }
  function liveRun(list) {
    var chart = document.getElementById("chart");
    var pending = false;
    // The chart is read again at most every 3 s, and only when a bar may have changed: a
    // busy run sends many tool calls, and each redraw reads the run's stages and agents.
    function redraw() {
      if (pending || !chart) { return; }
      pending = true;
      setTimeout(function () {
        fetch(chart.dataset.svg, {credentials: "same-origin"}).then(function (answer) {
          return answer.ok ? answer.text() : null;
        }).then(function (svg) { if (svg) { chart.innerHTML = svg; } },
                function () {}).then(function () { pending = false; });
      }, 3000);
    }
    var url = list.dataset.live + (list.dataset.live.indexOf("?") < 0 ? "?" : "&") +
      "after=" + encodeURIComponent(list.dataset.after);
    var source = new EventSource(url);
    source.addEventListener("entry", function (message) {
      list.insertAdjacentHTML("beforeend", message.data);
      if (/kind-(stage|agent|model|failure)/.test(message.data)) { redraw(); }
    });
    source.addEventListener("state", function (message) {
      var facts = JSON.parse(message.data);
      document.getElementById("state").textContent = facts.state;
      if (facts.cost) { document.getElementById("cost").textContent = facts.cost; }
      var took = document.getElementById("duration");
      if (took && facts.duration) { took.textContent = facts.duration; }
      redraw();
    });
    source.addEventListener("end", function () { source.close(); redraw(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("runs");
    if (table && table.dataset.live) { liveList(table); }
    var list = document.getElementById("timeline");
    if (list && list.dataset.live) { liveRun(list); }
  });
})();
