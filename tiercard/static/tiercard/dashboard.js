/* tiercard — draws the dashboard's charts with Apache ECharts (served from our own static
   files). The figures come from the JSON block #dashboard-data that the server renders; this
   file holds no data and the page needs no inline script. Without JavaScript, or if ECharts
   fails to load, the tables stay visible and carry the same numbers. */
(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var chinese = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var locale = chinese ? "zh-CN" : "en";
  var whole = new Intl.NumberFormat(locale);
  var cents = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  var font = window.getComputedStyle(document.body).fontFamily;
  var ink = "#344054";
  var rule = "#e2e7ee";

  function format(value, money, short) {
    var n = Number(value);
    var text = short ? compact.format(n) : money ? cents.format(n) : whole.format(n);
    return money ? data.currency + text : text;
  }

  function tooltip(spec) {
    return {
      trigger: spec.kind === "pie" ? "item" : "axis",
      confine: true,
      valueFormatter: function (value) {
        return format(value, spec.money, false);
      }
    };
  }

  function pieOption(spec, width) {
    var series = spec.series[0];
    var roomy = width >= 440; // on a phone the legend names the slices, labels would clip
    return {
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (p) {
          var open = chinese ? "：" : ": ";
          var pct = chinese ? "（" + p.percent + "%）" : " (" + p.percent + "%)";
          return p.marker + p.name + open + format(p.value, false, false) + pct;
        }
      },
      legend: { bottom: 0, type: "scroll", textStyle: { color: ink } },
      series: [
        {
          name: series.name,
          type: "pie",
          radius: ["42%", "68%"],
          center: ["50%", "45%"],
          avoidLabelOverlap: true,
          label: { show: roomy, formatter: "{b}\n{d}%", color: ink },
          labelLine: { show: roomy },
          data: spec.categories.map(function (name, i) {
            var value = Number(series.data[i]);
            var labelled = roomy && value > 0; // a tier nobody holds keeps its legend entry only
            return {
              name: name,
              value: value,
              itemStyle: { color: spec.colours[i] },
              label: { show: labelled },
              labelLine: { show: labelled }
            };
          })
        }
      ]
    };
  }

  function axisOption(spec) {
    return {
      tooltip: tooltip(spec),
      legend: { top: 0, type: "scroll", textStyle: { color: ink } },
      grid: { left: 8, right: 12, top: 36, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: spec.categories,
        axisLabel: { color: ink, hideOverlap: true },
        axisLine: { lineStyle: { color: rule } }
      },
      yAxis: {
        type: "value",
        minInterval: spec.money ? 0 : 1,
        axisLabel: {
          color: ink,
          formatter: function (value) {
            return format(value, spec.money, true);
          }
        },
        splitLine: { lineStyle: { color: rule } }
      },
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: s.kind,
          stack: s.stack || undefined,
          smooth: false, // monthly counts: straight segments, no curve between the points
          barMaxWidth: 28,
          itemStyle: { color: s.colour },
          lineStyle: s.kind === "line" ? { color: s.colour, width: 2 } : undefined,
          emphasis: { focus: "series" },
          data: s.data.map(Number)
        };
      })
    };
  }

  var drawn = [];

  function draw(slug, spec) {
    var box = document.getElementById("canvas-" + slug);
    var table = document.getElementById("table-" + slug);
    var toggle = document.querySelector('[data-toggle="' + slug + '"]');
    if (!box) {
      return;
    }
    box.hidden = false;
    var chart = window.echarts.init(box, null, { renderer: "svg", locale: chinese ? "ZH" : "EN" });
    var option = spec.kind === "pie" ? pieOption(spec, box.clientWidth) : axisOption(spec);
    option.textStyle = { fontFamily: font };
    option.animationDuration = 400;
    chart.setOption(option);
    drawn.push(chart);
    if (table) {
      table.hidden = true;
    }
    if (toggle && table) {
      toggle.hidden = false;
      toggle.setAttribute("aria-pressed", "false");
      toggle.addEventListener("click", function () {
        var showTable = toggle.getAttribute("aria-pressed") !== "true";
        toggle.setAttribute("aria-pressed", showTable ? "true" : "false");
        table.hidden = !showTable;
        box.hidden = showTable;
        if (!showTable) {
          chart.resize();
        }
      });
    }
  }

  Object.keys(data.charts).forEach(function (slug) {
    draw(slug, data.charts[slug]);
  });

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      drawn.forEach(function (chart) {
        chart.resize();
      });
    }, 120);
  });
})();
