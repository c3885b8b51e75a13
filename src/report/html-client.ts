/**
 * The script that runs in the report page: reads the ChartSpec JSON (html-charts.ts) and draws one
 * uPlot chart per spec. Plain ES2017 in a string, so it runs in any current browser as is; it makes
 * no requests. Time charts share a cursor; failover windows are shaded on every time chart. A
 * time point is an interval's end: lines join the ends, steps hold each value back over its own
 * interval (align -1), so a dip lies inside the outage band that caused it.
 * `window.pgsurgeCharts` lists the uPlot instances (the browser test checks they hold data).
 * `window.pgsurgeDraw(specs)` replaces every chart with new ones: the live page (src/ui) calls it
 * each time it swaps in a fresh render of the same view.
 */
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var charts = [];
  window.pgsurgeCharts = charts;

  function num(v, digits) {
    if (v === null || v === undefined) return '-';
    var a = Math.abs(v);
    if (digits === undefined) digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
  }
  // Axis ticks: 200,000,000 would not fit beside the axis label; 200M does.
  function tick(v) {
    return Math.abs(v) >= 10000 ? v.toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 1 }) : num(v);
  }
  function clock(s) {
    if (s === null || s === undefined) return '';
    var sign = s < 0 ? '-' : '';
    s = Math.abs(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var ss = (sec < 10 ? '0' : '') + (Number.isInteger(sec) ? sec : String(Math.round(sec * 100) / 100));
    return sign + (h > 0 ? h + ':' + (m < 10 ? '0' : '') + m + ':' + ss : m + ':' + ss);
  }
  function pct(x) {
    if (x === null || x === undefined) return '';
    var q = 100 * (1 - 1 / x);
    if (q <= 0) return '0%';
    var d = Math.max(0, Math.min(6, Math.ceil(-Math.log10(100 - q + 1e-12))));
    return q.toFixed(d) + '%';
  }

  // Shades outage windows behind the series.
  function bandsPlugin(bands) {
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, b = u.bbox;
          ctx.save();
          ctx.fillStyle = 'rgba(214, 39, 40, 0.14)';
          for (var i = 0; i < bands.length; i++) {
            var x0 = u.valToPos(bands[i].startS, 'x', true), x1 = u.valToPos(bands[i].endS, 'x', true);
            var a = Math.max(b.left, Math.min(x0, x1)), z = Math.min(b.left + b.width, Math.max(x0, x1));
            if (z >= a) ctx.fillRect(a, b.top, Math.max(2, z - a), b.height);
          }
          ctx.restore();
        }]
      }
    };
  }

  function percentileSplits(u, axisIdx, min, max) {
    var out = [];
    for (var v = 1; v <= max * 1.0001; v *= 10) {
      if (v >= min) out.push(v);
      if (v === 1 && 2 >= min && 2 <= max) out.push(2);
    }
    return out;
  }

  function build(spec) {
    var el = document.getElementById(spec.id);
    if (!el) return;
    var isTime = spec.xKind === 'time';
    var series = [{
      label: isTime ? 'time' : 'percentile',
      value: function (u, v) { return v === null || v === undefined ? '-' : isTime ? clock(v) : pct(v); }
    }];
    spec.series.forEach(function (s) {
      var o = {
        label: s.label,
        stroke: s.color,
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        value: function (u, v) { return num(v); }
      };
      if (s.stepped) o.paths = uPlot.paths.stepped({ align: -1, extend: true });
      series.push(o);
    });
    var opts = {
      width: Math.max(300, el.clientWidth || 600),
      height: 240,
      series: series,
      scales: {
        x: isTime ? { time: false, range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max : 1]; } } : { time: false, distr: 3, range: function (u, min, max) { return [1, max]; } },
        y: spec.yLog ? { distr: 3 } : { range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.05 : 1]; } }
      },
      axes: [
        isTime
          ? { label: 'time since start (m:ss)', values: function (u, splits) { return splits.map(clock); } }
          : { label: 'percentile', splits: percentileSplits, values: function (u, splits) { return splits.map(pct); } },
        { label: spec.yLabel, size: 60, values: function (u, splits) { return splits.map(function (v) { return v === null || v === undefined ? '' : tick(v); }); } }
      ],
      legend: { live: true },
      cursor: isTime ? { sync: { key: 'pgsurge-time' } } : {},
      plugins: spec.bands.length > 0 ? [bandsPlugin(spec.bands)] : []
    };
    var cols = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    var u = new uPlot(opts, cols, el);
    u.pgsurgeId = spec.id;
    charts.push(u);
  }

  window.pgsurgeDraw = function (specs) {
    charts.splice(0).forEach(function (u) { u.destroy(); });
    specs.forEach(build);
  };
  var embedded = document.getElementById('pgsurge-data');
  if (embedded) window.pgsurgeDraw(JSON.parse(embedded.textContent).charts);

  var pending = false;
  window.addEventListener('resize', function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      charts.forEach(function (u) {
        var w = Math.max(300, u.root.parentNode.clientWidth || 600);
        if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: 240 });
      });
    });
  });
})();
`;
