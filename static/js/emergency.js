// Emergency pages: "use my location", the running clocks, and the dispatch board's refresh.
// Progressive enhancement only: without JavaScript the pages work, and the board refreshes
// itself with a meta refresh.
(function () {
  "use strict";

  var STATES = { on_time: "On time", at_risk: "At risk", late: "Late" };
  var offset = 0; // the server's clock minus this browser's, in milliseconds

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // Seconds as H:MM:SS, as the server writes them (emergency_tags.clock).
  function clock(seconds) {
    seconds = Math.abs(Math.round(seconds));
    return Math.floor(seconds / 3600) + ":" + pad(Math.floor((seconds % 3600) / 60)) + ":" + pad(seconds % 60);
  }

  function syncClock(container) {
    var serverTime = Date.parse(container.getAttribute("data-server-time"));
    if (!isNaN(serverTime)) offset = serverTime - Date.now();
  }

  // The rule of emergencies.models.clock_state: late past the deadline, at risk within the window.
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-clocks]").forEach(function (container) {
      var atRisk = Number(container.getAttribute("data-at-risk-seconds")) || 0;
      container.querySelectorAll("[data-deadline]").forEach(function (element) {
        var left = (Date.parse(element.getAttribute("data-deadline")) - now) / 1000;
        var state = left < 0 ? "late" : left <= atRisk ? "at_risk" : "on_time";
        var label = element.querySelector("[data-clock-state]");
        element.querySelector("[data-clock-text]").textContent =
          left >= 0 ? clock(left) + " left" : "late by " + clock(left);
        label.textContent = STATES[state];
        label.className = "badge state-" + state;
      });
    });
  }

  function refreshBoard(board) {
    var seconds = Number(board.getAttribute("data-refresh-seconds"));
    if (!seconds) return;
    function again() {
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(board.id);
          if (!fresh) throw new Error("no board in the page");
          // Keep the keyboard's place: refocus the same link after the swap.
          var focused = board.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
          board.innerHTML = fresh.innerHTML;
          board.setAttribute("data-server-time", fresh.getAttribute("data-server-time"));
          syncClock(board);
          tick();
          if (focused) {
            var link = board.querySelector('a[href="' + focused + '"]');
            if (link) link.focus();
          }
        })
        .catch(function () {
          var error = board.querySelector("[data-board-error]");
          if (error) error.textContent = "Could not refresh (retrying): reload the page if this stays.";
        })
        .then(function () {
          window.setTimeout(again, seconds * 1000);
        });
    }
    window.setTimeout(again, seconds * 1000);
  }

  function locate(button) {
    var status = document.querySelector("[data-locate-status]");
    var latitude = document.getElementById("id_latitude");
    var longitude = document.getElementById("id_longitude");
    if (!navigator.geolocation || !latitude || !longitude) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "Finding your position…";
      navigator.geolocation.getCurrentPosition(
        function (position) {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          status.textContent =
            "Position filled in (to about " + Math.round(position.coords.accuracy) + " m). Add the address if you know it.";
        },
        function () {
          status.textContent = "We could not get your position: type the address or describe the place instead.";
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector("[data-clocks]");
    if (first) {
      syncClock(first);
      tick();
      window.setInterval(tick, 1000);
    }
    var board = document.getElementById("board");
    if (board) refreshBoard(board);
    var button = document.querySelector("[data-locate]");
    if (button) locate(button);
  });
})();
