// Live updates of Wavegate's pages. The server names each pipeline whose
// state it saved (/ui/events); when that concerns this page (<main
// data-live>: "all", or the release page's pipeline), the page fetches
// itself and replaces its <main>. Without this script, or when the stream
// fails for good, the pages read the same and say to reload.
(function () {
  "use strict";
  var main = document.querySelector("main[data-live]");
  if (!main || !main.dataset.live || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var want = null;
  var url = "/ui/events";
  if (main.dataset.live !== "all") {
    try {
      want = JSON.parse(main.dataset.live);
    } catch (e) {
      return;
    }
    url += "?repository=" + encodeURIComponent(want.repository) + "&pipeline=" + encodeURIComponent(want.pipeline);
  }
  var busy = false; // a fetch, or the wait before one, is under way
  var again = false; // an event came meanwhile
  var last = 0;
  var minGap = 1000; // ms between fetches: a busy installation saves often

  var source = new EventSource(url);
  source.addEventListener("open", function () { hints(true); });
  source.addEventListener("error", function () {
    // The browser retries by itself unless the server refused the stream.
    if (source.readyState === EventSource.CLOSED) {
      hints(false);
    }
  });
  source.addEventListener("saved", function (ev) {
    var k;
    try {
      k = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    if (want && (String(k.repository).toLowerCase() !== String(want.repository).toLowerCase() || k.pipeline !== want.pipeline)) {
      return;
    }
    refresh();
  });
  // A field being typed in is not replaced under the typist's fingers:
  // the refresh waits until it loses focus.
  document.addEventListener("focusout", function () {
    if (again && !busy) {
      setTimeout(refresh, 0);
    }
  });

  function hints(live) {
    var list = document.querySelectorAll(".live-hint");
    for (var i = 0; i < list.length; i++) {
      list[i].hidden = live;
    }
  }

  function editing() {
    var a = document.activeElement;
    return !!a && main.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName);
  }

  function refresh() {
    if (busy || editing()) {
      again = true;
      return;
    }
    var wait = last + minGap - Date.now();
    busy = true;
    if (wait > 0) {
      setTimeout(function () { busy = false; refresh(); }, wait);
      return;
    }
    again = false;
    last = Date.now();
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) {
        if (!res.ok) {
          throw new Error("status " + res.status);
        }
        return res.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.querySelector("main");
        if (!fresh || editing()) {
          again = true;
          return;
        }
        var focused = document.activeElement && main.contains(document.activeElement) ? document.activeElement.id : "";
        // The answer to the form just sent ("Done: ...", "Refused: ...")
        // stays: the page fetched afresh no longer carries it, and it must
        // not vanish under the reader's eyes when the state it changed is
        // saved.
        var answer = main.querySelector(":scope > [role=status]");
        var nodes = [];
        if (answer && !fresh.querySelector(":scope > [role=status]")) {
          nodes.push(answer);
        }
        while (fresh.firstChild) {
          nodes.push(document.adoptNode(fresh.firstChild));
        }
        main.replaceChildren.apply(main, nodes);
        document.title = doc.title;
        hints(source.readyState === EventSource.OPEN);
        if (focused) {
          var el = document.getElementById(focused);
          if (el) {
            el.focus({ preventScroll: true });
          }
        }
      })
      .catch(function () {
        // The page stays as it was; the next event tries again.
      })
      .then(function () {
        busy = false;
        if (again) {
          refresh();
        }
      });
  }
})();
