// Builds every panel of the dashboard from the columnar data above it, and again whenever a
// filter changes: one pass over the jobs, no library, nothing fetched.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("dashboard-data").textContent);
  var T = D.texts, J = D.jobs, S = D.statuses, C = D.colours, DAY = 86400;
  var FINAL = { COMPLETED: 1, FAILED: 1, SKIPPED: 1, CANCELLED: 1 };
  var PAGE = 25, n = J.id.length, asOfDay = Math.floor(D.asOf / DAY);
  var state = { sort: "created", desc: true, page: 0, chosen: null, picked: null };
  var $ = function (id) { return document.getElementById(id); };

  function fmt(v) { return v.toLocaleString("en-US"); }
  function pct(a, b) { return b > 0 ? (100 * a / b).toFixed(1) + "%" : "–"; }
  function when(s) { return s == null ? "–" : new Date(s * 1000).toISOString().slice(0, 16).replace("T", " "); }
  function dayText(d) { return new Date(d * DAY * 1000).toISOString().slice(0, 10); }
  function took(a, b) {
    if (a == null || b == null) return "–";
    var m = Math.round((b - a) / 60);
    return m < 60 ? m + " min" : Math.floor(m / 60) + " h " + (m % 60) + " min";
  }
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    [].concat(kids == null ? [] : kids).forEach(function (c) {
      e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    });
    return e;
  }
  function svg(tag, attrs, kids) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    [].concat(kids || []).forEach(function (c) {
      e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    });
    return e;
  }
  function fill(section, kids) {
    var body = $(section).querySelector(".body");
    body.textContent = "";
    [].concat(kids).forEach(function (k) { body.appendChild(k); });
  }
  function colour(status) { return C[status] || C.OTHER; }

  // per job: its counts, processed (final statuses), reasons and daily rows
  var total = new Array(n).fill(0), processed = new Array(n).fill(0), failed = J.counts[S.indexOf("FAILED")];
  S.forEach(function (s, i) {
    for (var j = 0; j < n; j++) { total[j] += J.counts[i][j]; if (FINAL[s]) processed[j] += J.counts[i][j]; }
  });
  function group(rows) {
    var by = []; for (var j = 0; j < n; j++) by.push([]);
    rows.job.forEach(function (j, r) { by[j].push(r); });
    return by;
  }
  var reasonsOf = group(D.reasons), dailyOf = group(D.daily);

  // --- filters ---------------------------------------------------------------------------
  var F = { from: $("f-from"), to: $("f-to"), type: $("f-type"), dest: $("f-dest"),
    status: $("f-status"), account: $("f-account"), family: $("f-family"), search: $("f-search") };
  ["type", "dest", "status", "account"].forEach(function (key) {
    var seen = {};
    J[key].forEach(function (t) { seen[t] = 1; });
    F[key].appendChild(h("option", { value: "" }, "All"));
    Object.keys(seen).map(Number).sort(function (a, b) { return T[a] < T[b] ? -1 : 1; })
      .forEach(function (t) { F[key].appendChild(h("option", { value: t }, T[t] || "(none)")); });
  });
  // the reason families of the data, by name
  (function () {
    var seen = {};
    D.reasons.family.forEach(function (t) { seen[t] = 1; });
    F.family.appendChild(h("option", { value: "" }, "All"));
    Object.keys(seen).map(Number).sort(function (a, b) { return T[a] < T[b] ? -1 : 1; })
      .forEach(function (t) { F.family.appendChild(h("option", { value: t }, T[t] || "(none)")); });
  })();
  // a reason row counts under the chosen family only (all rows when none is chosen)
  function inFamily(r) { return F.family.value === "" || D.reasons.family[r] === +F.family.value; }
  function dateInput(input, end) {
    if (!input.value) return null;
    return Date.parse(input.value + "T00:00:00Z") / 1000 + (end ? DAY : 0);
  }
  function matcher(from, to) {
    var want = {}, text = F.search.value.trim().toLowerCase();
    ["type", "dest", "status", "account"].forEach(function (k) { want[k] = F[k].value === "" ? null : +F[k].value; });
    return function (j) {
      var c = J.created[j];
      if (from != null && (c == null || c < from)) return false;
      if (to != null && (c == null || c >= to)) return false;
      for (var k in want) if (want[k] != null && J[k][j] !== want[k]) return false;
      // a family chosen: the jobs with a reason of that family
      if (F.family.value !== "" && !reasonsOf[j].some(inFamily)) return false;
      if (!text) return true;
      if (J.id[j].toLowerCase().indexOf(text) >= 0 || T[J.comment[j]].toLowerCase().indexOf(text) >= 0) return true;
      return reasonsOf[j].some(function (r) { return T[D.reasons.reason[r]].toLowerCase().indexOf(text) >= 0; });
    };
  }
  function select(from, to) {
    var ok = matcher(from, to), out = [];
    for (var j = 0; j < n; j++) if (ok(j)) out.push(j);
    return out;
  }
  function sum(jobs, column) { return jobs.reduce(function (a, j) { return a + column[j]; }, 0); }

  // --- panels ----------------------------------------------------------------------------
  function kpis(jobs, from, to) {
    // the change compares the chosen range with as long a range before it; without a range,
    // the last 7 days with the 7 before
    var end = to != null ? to : (asOfDay + 1) * DAY, start = from != null ? from : end - 7 * DAY;
    var now = select(start, end), before = select(2 * start - end, start);
    var label = " vs the " + Math.round((end - start) / DAY) + " days before";
    var figures = [
      ["jobs", "Jobs", function (js) { return js.length; }, fmt],
      ["messages", "Messages", function (js) { return sum(js, total); }, fmt],
      ["processed", "Processed", function (js) { return sum(js, processed); }, fmt],
      ["failed", "Failed", function (js) { return sum(js, failed); }, fmt],
      ["failure-rate", "Fail % of processed", function (js) {
        var p = sum(js, processed); return p ? sum(js, failed) / p : null; },
        function (v) { return v == null ? "–" : (100 * v).toFixed(1) + "%"; }]
    ];
    var box = $("kpis").querySelector(".kpis");
    box.textContent = "";
    figures.forEach(function (f) {
      var a = f[2](now), b = f[2](before), change = "–";
      if (a != null && b != null) {
        var d = a - b, text = f[3](Math.abs(d));
        change = (d > 0 ? "+" : d < 0 ? "−" : "±") + (f[0] === "failure-rate" ? text.replace("%", " pts") : text);
      }
      var period = from != null || to != null ? "" : "last 7 days " + f[3](a) + ", ";
      box.appendChild(h("div", { "class": "kpi" }, [
        f[1], h("strong", { "data-kpi": f[0] }, f[3](f[2](jobs))),
        h("small", { "data-kpi-change": f[0] }, period + change + label)
      ]));
    });
  }

  function barList(section, items, what) {
    var top = Math.max.apply(null, items.map(function (i) { return i[1]; }).concat([1]));
    fill(section, items.length ? items.map(function (i) {
      return h("div", { "class": "bar-row" }, [
        h("span", {}, i[0]),
        h("span", { "class": "bar", role: "img", "aria-label": i[0] + ": " + fmt(i[1]) + " " + what, title: i[0] + ": " + fmt(i[1]),
          style: "width:" + (100 * i[1] / top).toFixed(2) + "%;background:" + colour(i[0]) }),
        h("span", { "class": "num", "data-status": i[0] }, fmt(i[1]))
      ]);
    }) : [h("p", {}, "No " + what + ".")]);
  }
  function byStatus(jobs) {
    barList("by-status", S.map(function (s, i) { return [s, sum(jobs, J.counts[i])]; })
      .filter(function (i) { return i[1] > 0; }), "messages");
    var seen = {};
    jobs.forEach(function (j) { var s = T[J.status[j]]; seen[s] = (seen[s] || 0) + 1; });
    barList("jobs-by-status", Object.keys(seen).sort().map(function (s) { return [s, seen[s]]; }), "jobs");
  }

  function lineChart(points, opts) {
    // points: [x, y, title]; x in days, scaled as time (gaps stay gaps)
    var body = $(opts.section), w = Math.max(280, Math.round((body.clientWidth || 600))), ht = opts.height || 200;
    var left = 48, right = 12, top = 10, bottom = 26;
    var xs = points.map(function (p) { return p[0]; }), x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var yMax = opts.yMax || Math.max.apply(null, points.map(function (p) { return p[1]; }).concat([1]));
    var X = function (x) { return left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (w - left - right); };
    var Y = function (y) { return top + (1 - y / yMax) * (ht - top - bottom); };
    var g = svg("svg", { viewBox: "0 0 " + w + " " + ht, role: "img", "aria-label": opts.label });
    [0, 0.5, 1].forEach(function (f) {
      g.appendChild(svg("line", { x1: left, x2: w - right, y1: Y(f * yMax), y2: Y(f * yMax), stroke: "#ccc" }));
      g.appendChild(svg("text", { x: left - 6, y: Y(f * yMax) + 4, "text-anchor": "end" }, opts.yFmt(f * yMax)));
    });
    // as many date labels as fit (about one per 110 px), first and last always
    var ticks = x1 > x0 ? Math.max(1, Math.min(Math.floor((w - left - right) / 110), 6)) : 0;
    for (var t = 0; t <= ticks; t++) {
      var x = x0 + (x1 - x0) * t / (ticks || 1);
      g.appendChild(svg("text", { x: X(x), y: ht - 6, "text-anchor": t === 0 ? "start" : t === ticks ? "end" : "middle" }, opts.xFmt(x)));
      if (!ticks) break;
    }
    var solid = opts.partialLast ? points.slice(0, -1) : points;
    g.appendChild(svg("polyline", { fill: "none", stroke: C.line, "stroke-width": 2,
      points: solid.map(function (p) { return X(p[0]) + "," + Y(p[1]); }).join(" ") }));
    if (opts.partialLast && points.length > 1) {
      var a = points[points.length - 2], b = points[points.length - 1];
      g.appendChild(svg("line", { x1: X(a[0]), y1: Y(a[1]), x2: X(b[0]), y2: Y(b[1]), stroke: C.line,
        "stroke-width": 2, "stroke-dasharray": "4 4" }));
    }
    points.forEach(function (p, i) {
      var last = opts.partialLast && i === points.length - 1;
      g.appendChild(svg("circle", { cx: X(p[0]), cy: Y(p[1]), r: 4, fill: last ? "#fff" : (p[3] || C.line),
        stroke: p[3] || C.line, "stroke-width": 2 }, svg("title", {}, p[2])));
    });
    return g;
  }
  // a table wider than the screen scrolls in its own box, which the keyboard can reach
  function scrollBox(label, table) {
    return h("div", { "class": "scroll", tabindex: 0, role: "region", "aria-label": label }, table);
  }
  function tableView(caption, head, rows, attrs) {
    return h("details", {}, [h("summary", {}, caption + " as a table"), scrollBox(caption,
      h("table", attrs || {}, [h("thead", {}, h("tr", {}, head.map(function (t) { return h("th", { scope: "col" }, t); }))),
        h("tbody", {}, rows)]))]);
  }

  function daily(jobs) {
    var days = {};
    jobs.forEach(function (j) {
      dailyOf[j].forEach(function (r) {
        var s = T[D.daily.status[r]];
        if (!FINAL[s]) return;
        var d = days[D.daily.day[r]] || (days[D.daily.day[r]] = [0, 0]);
        d[0] += D.daily.count[r]; if (s === "FAILED") d[1] += D.daily.count[r];
      });
    });
    var keys = Object.keys(days).map(Number).sort(function (a, b) { return a - b; });
    if (!keys.length) return fill("daily", h("p", {}, "No processed messages."));
    var partial = keys[keys.length - 1] === asOfDay;
    var points = keys.map(function (d) {
      return [d, days[d][1] / days[d][0], dayText(d) + ": " + pct(days[d][1], days[d][0]) + " of " + fmt(days[d][0]) +
        (partial && d === asOfDay ? " (partial day: the day is not over)" : "")];
    });
    fill("daily", [
      lineChart(points, { section: "daily", label: "Failure rate of processed messages per day", partialLast: partial,
        yMax: Math.max(0.05, Math.max.apply(null, points.map(function (p) { return p[1]; }))),
        yFmt: function (v) { return (100 * v).toFixed(0) + "%"; }, xFmt: dayText }),
      h("p", { "class": "partial-note" }, partial ? "The last day (" + dayText(asOfDay) + ", dashed, hollow) is partial: the sync ran during it." : "Every day shown is complete."),
      tableView("Failure rate per day", ["day", "processed", "failed", "failure rate"], keys.map(function (d) {
        return h("tr", { "data-day": dayText(d) }, [h("td", {}, dayText(d) + (partial && d === asOfDay ? " (partial)" : "")),
          h("td", { "class": "num", "data-field": "processed" }, fmt(days[d][0])),
          h("td", { "class": "num", "data-field": "failed" }, fmt(days[d][1])),
          h("td", { "class": "num" }, pct(days[d][1], days[d][0]))]);
      }), { id: "daily-table" })
    ]);
  }

  function reasons(jobs) {
    var groups = {}, created = jobs.map(function (j) { return J.created[j] || 0; });
    var lo = Math.min.apply(null, created), hi = Math.max.apply(null, created), buckets = 12;
    jobs.forEach(function (j) {
      var b = hi > lo ? Math.min(buckets - 1, Math.floor((J.created[j] - lo) / (hi - lo) * buckets)) : 0;
      reasonsOf[j].filter(inFamily).forEach(function (r) {
        var key = D.reasons.status[r] + "|" + D.reasons.reason[r];
        var g = groups[key] || (groups[key] = { status: T[D.reasons.status[r]], reason: T[D.reasons.reason[r]], family: T[D.reasons.family[r]], count: 0, jobs: 0, trend: new Array(buckets).fill(0) });
        g.count += D.reasons.count[r]; g.jobs += 1; g.trend[b] += D.reasons.count[r];
      });
    });
    var all = Object.keys(groups).map(function (k) { return groups[k]; })
      .sort(function (a, b) { return b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0); });
    // FAILED are the failures; SKIPPED and CANCELLED are shown apart, not mixed in
    var top = all.filter(function (g) { return g.status === "FAILED"; }).slice(0, D.top || 10);
    var apart = all.filter(function (g) { return g.status !== "FAILED"; }).slice(0, D.top || 10);
    function spark(g) {
      var peak = Math.max.apply(null, g.trend.concat([1])), box = svg("svg", { "class": "spark", viewBox: "0 0 96 20", role: "img",
        "aria-label": "by job creation time, oldest first: " + g.trend.join(", ") });
      box.appendChild(svg("line", { x1: 0, x2: 96, y1: 19.5, y2: 19.5, stroke: "#767676" }));
      g.trend.forEach(function (v, i) {
        if (v) box.appendChild(svg("rect", { x: i * 8, y: 20 - 18 * v / peak, width: 6, height: Math.max(2, 18 * v / peak), fill: colour(g.status) }));
      });
      return box;
    }
    function table(id, label, list, withStatus, field) {
      var heads = (withStatus ? ["status"] : []).concat(["reason", "family", "messages", "jobs", "trend"]);
      return scrollBox(label, h("table", { id: id }, [
        h("thead", {}, h("tr", {}, heads.map(function (t) { return h("th", { scope: "col" }, t); }))),
        h("tbody", {}, list.map(function (g) {
          return h("tr", {}, (withStatus ? [h("td", {}, g.status)] : []).concat([h("td", { "class": "reason" }, g.reason),
            h("td", { "data-field": "reason-family" }, g.family),
            h("td", { "class": "num", "data-field": field }, fmt(g.count)), h("td", { "class": "num" }, fmt(g.jobs)), h("td", {}, spark(g))]));
        }))]));
    }
    var note = h("p", { "class": "note" }, "Trend: messages per reason by the creation time of their jobs, in 12 steps over the jobs shown.");
    fill("reasons", top.length ? [note, table("top-reasons", "Top FAILED reasons", top, false, "reason-count")]
      : h("p", {}, "No failed messages."));
    fill("not-failures", apart.length ? table("apart-reasons", "SKIPPED and CANCELLED reasons", apart, true, "apart-count")
      : h("p", {}, "No skipped or cancelled messages."));
  }

  var NUMERIC = { messages: 1, processed: 1, failure: 1, duration: 1, rejected: 1 };
  var COLUMNS = [
    ["id", "job id", function (j) { return J.id[j]; }],
    ["status", "status", function (j) { return T[J.status[j]] + (J.deleted[j] ? " (deleted)" : ""); }],
    ["messages", "messages", function (j) { return total[j]; }, fmt],
    ["statuses", "statuses", null],
    ["processed", "processed", function (j) { return total[j] ? processed[j] / total[j] : null; }, function (v, j) { return pct(processed[j], total[j]); }],
    ["failure", "fail % of processed", function (j) { return processed[j] ? failed[j] / processed[j] : null; }, function (v, j) { return pct(failed[j], processed[j]); }],
    ["created", "created (UTC)", function (j) { return J.created[j]; }, when],
    ["started", "started", function (j) { return J.started[j]; }, when],
    ["completed", "completed", function (j) { return J.completed[j]; }, when],
    ["duration", "duration", function (j) { return J.completed[j] != null && J.started[j] != null ? J.completed[j] - J.started[j] : null; },
      function (v, j) { return took(J.started[j], J.completed[j]); }],
    ["type", "action", function (j) { return T[J.type[j]]; }],
    ["dest", "destination", function (j) { return T[J.dest[j]]; }],
    ["recon", "reconciliation", function (j) { return T[J.recon[j]]; }],
    ["rejected", "rejected items", function (j) { return J.rejected[j]; }, fmt]
  ];
  function sorted(jobs) {
    var col = COLUMNS.filter(function (c) { return c[0] === state.sort; })[0], dir = state.desc ? -1 : 1;
    return jobs.slice().sort(function (a, b) {
      var x = col[2](a), y = col[2](b);
      if (x == null || y == null) return x == null ? (y == null ? 0 : 1) : -1;  // blanks last
      return (x < y ? -1 : x > y ? 1 : 0) * dir || (J.id[a] < J.id[b] ? -1 : 1);
    });
  }
  function jobTable(jobs) {
    var table = $("job-table"), all = sorted(jobs), pages = Math.max(1, Math.ceil(all.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var head = h("tr", {}, COLUMNS.map(function (c) {
      if (!c[2]) return h("th", { scope: "col" }, c[1]);
      var b = h("button", { type: "button", "data-sort": c[0] }, c[1]);
      b.addEventListener("click", function () {
        state.desc = state.sort === c[0] ? !state.desc : c[0] !== "id" && c[0] !== "type"; state.sort = c[0]; state.page = 0; update();
      });
      return h("th", { scope: "col", "aria-sort": state.sort === c[0] ? (state.desc ? "descending" : "ascending") : null }, b);
    }));
    table.tHead.textContent = ""; table.tHead.appendChild(head);
    var body = table.tBodies[0]; body.textContent = "";
    all.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (j) {
      var pick = h("button", { type: "button", "class": "pick", "aria-label": "Show the failure reasons of job " + J.id[j] }, J.id[j]);
      pick.addEventListener("click", function () { state.picked = j; update(); $("job-reasons").scrollIntoView(); });
      var copy = h("button", { type: "button", "class": "copy", "aria-label": "Copy job id " + J.id[j] }, "Copy");
      copy.addEventListener("click", function () { copyText(J.id[j], copy); });
      var stack = h("div", { "class": "stack", role: "img", "aria-label": S.map(function (s, i) { return s + " " + J.counts[i][j]; }).join(", ") });
      S.forEach(function (s, i) {
        var v = J.counts[i][j];
        if (v) stack.appendChild(h("i", { title: s + ": " + fmt(v), style: "width:" + (100 * v / total[j]).toFixed(2) + "%;background:" + colour(s) }));
      });
      var cells = COLUMNS.map(function (c, i) {
        if (!i) return h("td", { "class": "id" }, [pick, " ", copy]);
        if (!c[2]) return h("td", { "data-label": c[1] }, stack);
        var v = c[2](j);
        return h("td", { "class": NUMERIC[c[0]] ? "num" : null, "data-field": c[0], "data-label": c[1] }, c[3] ? c[3](v, j) : v);
      });
      body.appendChild(h("tr", { "data-job": J.id[j], "class": state.chosen === j ? "chosen" : null }, cells));
    });
    var pager = $("jobs").querySelector(".pager"); pager.textContent = "";
    [["Previous", -1], ["Next", 1]].forEach(function (p, i) {
      var b = h("button", { type: "button", "data-page": p[1] }, p[0]);
      b.disabled = state.page + p[1] < 0 || state.page + p[1] >= pages;
      b.addEventListener("click", function () { state.page += p[1]; update(); });
      pager.appendChild(b);
      if (!i) pager.appendChild(h("span", { id: "page-of" }, "Page " + (state.page + 1) + " of " + pages + " (" + fmt(all.length) + " jobs)"));
    });
    return all;
  }
  function copyText(text, button) {
    var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text).then(done, function () {});
    var area = h("textarea", {}, text); document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); done(); } finally { area.remove(); }
  }
  function exportCsv(all) {
    var quote = function (v) { v = v == null ? "" : String(v); return /[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; };
    var cols = COLUMNS.filter(function (c) { return c[2]; });
    var lines = [cols.map(function (c) { return c[0]; }).concat(S).join(",")].concat(all.map(function (j) {
      return cols.map(function (c) { var v = c[2](j); return quote(c[3] && c[0] !== "messages" ? c[3](v, j) : v); })
        .concat(S.map(function (s, i) { return J.counts[i][j]; })).join(",");
    }));
    var link = h("a", { href: URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" })), download: "jobs.csv" });
    document.body.appendChild(link); link.click(); link.remove();
  }

  function jobReasons(jobs) {
    // the job picked in the table while it matches the filters, else the one with the most
    // failures: the one a reader most likely came for
    state.chosen = state.picked != null && jobs.indexOf(state.picked) >= 0 ? state.picked
      : jobs.length ? jobs.reduce(function (a, j) { return failed[j] > failed[a] ? j : a; }, jobs[0]) : null;
    var j = state.chosen;
    if (j == null) return fill("job-reasons", h("p", {}, "No job matches the filters."));
    var rows = reasonsOf[j].slice().sort(function (a, b) { return D.reasons.count[b] - D.reasons.count[a]; }).map(function (r) {
      var s = T[D.reasons.status[r]], of = J.counts[S.indexOf(s)] ? J.counts[S.indexOf(s)][j] : 0;
      return h("tr", {}, [h("td", {}, s), h("td", { "class": "reason" }, T[D.reasons.reason[r]]), h("td", {}, T[D.reasons.family[r]]),
        h("td", { "class": "num", "data-field": "job-reason-count" }, fmt(D.reasons.count[r])), h("td", { "class": "num" }, pct(D.reasons.count[r], of))]);
    });
    fill("job-reasons", [h("p", { id: "chosen-job" }, ["Job ", h("code", {}, J.id[j]), " (" + T[J.status[j]] + ", " + fmt(total[j]) + " messages; pick another in the jobs table)"]),
      rows.length ? scrollBox("Failure reasons of the job", h("table", {}, [h("thead", {}, h("tr", {}, ["status", "reason", "family", "messages", "share of status"].map(function (t) { return h("th", { scope: "col" }, t); }))), h("tbody", {}, rows)]))
        : h("p", {}, "No failed, skipped or cancelled messages.")]);
  }

  function health(from, to) {
    var R = D.runs, runs = [], last = R.started.length - 1;
    R.started.forEach(function (s, i) { if ((from == null || s >= from) && (to == null || s < to)) runs.push(i); });
    var latest = last < 0 ? h("p", {}, "No run recorded yet.") : h("p", { id: "last-run" }, ["Last run: ",
      h("strong", { "data-field": "run-status" }, T[R.status[last]]), " at " + when(R.started[last]) + " UTC, " +
      R.duration[last].toFixed(1) + " s, " + fmt(R.rows[last]) + " rows" + (T[R.error[last]] ? ", error: " + T[R.error[last]] : "")]);
    if (!runs.length) return fill("health", [latest, h("p", {}, "No runs recorded in this range.")]);
    var bad = runs.filter(function (i) { return T[R.status[i]] !== "ok"; });
    var durations = runs.map(function (i) { return R.duration[i]; }).sort(function (a, b) { return a - b; });
    var summary = h("p", { id: "health-summary" }, [h("strong", { "data-field": "runs" }, fmt(runs.length)), " runs, ",
      h("strong", { "data-field": "failed-runs" }, fmt(bad.length)), " not ok; median duration " + durations[Math.floor(durations.length / 2)].toFixed(1) + " s; ",
      h("strong", { "data-field": "rows" }, fmt(runs.reduce(function (a, i) { return a + R.rows[i]; }, 0))), " rows loaded, ",
      h("strong", { "data-field": "requests" }, fmt(runs.reduce(function (a, i) { return a + R.requests[i]; }, 0))), " requests, ",
      h("strong", { "data-field": "retries" }, fmt(runs.reduce(function (a, i) { return a + R.retries[i]; }, 0))), " retries. Runs sync every job: only the date range applies here."]);
    var charts = h("div", { "class": "small-multiples" });
    fill("health", [latest, summary, charts]);
    var metrics = [["duration", "Duration (s)"], ["rows", "Rows loaded"], ["requests", "Requests"], ["retries", "Retries"]];
    metrics.forEach(function (m) { charts.appendChild(h("div", { id: "health-" + m[0] }, h("h3", {}, m[1]))); });
    metrics.forEach(function (m) {  // drawn once every box is laid out: each measures its own width
      $("health-" + m[0]).appendChild(lineChart(runs.map(function (i) {
        var ok = T[R.status[i]] === "ok";
        return [R.started[i] / DAY, R[m[0]][i], when(R.started[i]) + ": " + fmt(R[m[0]][i]) + " (" + T[R.status[i]] + ")", ok ? null : C.FAILED];
      }), { section: "health-" + m[0], height: 140, label: m[1] + " per run; runs that were not ok in orange",
        yFmt: function (v) { return fmt(Math.round(v)); }, xFmt: function (x) { return when(x * DAY).slice(0, 10); } }));
    });
    $("health").querySelector(".body").appendChild(tableView("The last 100 runs", ["started (UTC)", "status", "duration (s)", "rows", "requests", "retries", "error"],
      runs.slice(-100).reverse().map(function (i) {
        return h("tr", {}, [h("td", {}, when(R.started[i])), h("td", {}, T[R.status[i]]), h("td", { "class": "num" }, R.duration[i].toFixed(1)),
          h("td", { "class": "num" }, fmt(R.rows[i])), h("td", { "class": "num" }, fmt(R.requests[i])), h("td", { "class": "num" }, fmt(R.retries[i])), h("td", { "class": "reason" }, T[R.error[i]])]);
      })));
  }

  var shown = [];
  function update() {
    var from = dateInput(F.from, false), to = dateInput(F.to, true), jobs = select(from, to);
    $("matching").textContent = fmt(jobs.length) + " of " + fmt(n) + " jobs match the filters.";
    kpis(jobs, from, to); byStatus(jobs); daily(jobs); reasons(jobs); shown = jobTable(jobs); jobReasons(jobs);
    var rows = $("job-table").tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) rows[i].classList.toggle("chosen", rows[i].getAttribute("data-job") === J.id[state.chosen]);
    health(from, to);
  }
  $("filter-form").addEventListener("input", function () { state.page = 0; update(); });
  $("filter-form").addEventListener("change", function () { state.page = 0; update(); });
  $("filter-form").addEventListener("reset", function () { setTimeout(function () { state.page = 0; update(); }, 0); });
  $("csv").addEventListener("click", function () { exportCsv(shown); });
  var resizing;
  window.addEventListener("resize", function () { clearTimeout(resizing); resizing = setTimeout(update, 150); });
  $("as-of").textContent = "Data as of " + when(D.asOf) + " UTC (the last sync). " + fmt(n) + " jobs.";
  $("jobs").querySelector(".legend").append.apply($("jobs").querySelector(".legend"), S.map(function (s) {
    return h("span", { "class": "key" }, [h("i", { style: "background:" + colour(s) }), s]);
  }));
  update();
  performance.mark("dashboard-ready");
  document.body.setAttribute("data-ready", "yes");
})();
