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
    function redraw() {
      if (pending || !chart) { return; }
      pending = true;
      setTimeout(function () {
        fetch(chart.dataset.svg, {credentials: "same-origin"}).then(function (answer) {
          return answer.ok ? answer.text() : null;
        }).then(function (svg) { if (svg) { chart.innerHTML = svg; } pending = false; });
      }, 500);
    }
    var url = list.dataset.live + (list.dataset.live.indexOf("?") < 0 ? "?" : "&") +
      "after=" + encodeURIComponent(list.dataset.after);
    var source = new EventSource(url);
    source.addEventListener("entry", function (message) {
      list.insertAdjacentHTML("beforeend", message.data);
      redraw();
    });
    source.addEventListener("state", function (message) {
      var facts = JSON.parse(message.data);
      document.getElementById("state").textContent = facts.state;
      document.getElementById("cost").textContent = facts.cost;
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
