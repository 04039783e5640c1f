"""The dashboard page: one self-contained HTML document (inline CSS, inline JS drawing SVG; no CDN).

It shows, per country (or all countries), which paths worked — reachable with HTTPS intact — week by
week: a heat map (path x week, share of tests where the path worked, interception marked) and a line
chart of the same shares, each line labelled at its end and in a legend, with its own dash pattern
(not colour alone). Both charts are SVGs with a ``viewBox`` at 100 % width: they shrink to fit the
page instead of running off its right edge. Only cells with at least k submissions are in the data.

Below them, "How networks block" (issue 17): per country, ASN and path, how many sites were blocked by
server name (``sni``) or by address, how many a split TLS hello reached anyway, and how many were
throttled. It is plain HTML built here (every value escaped), so it shows without JavaScript too.
"""

from __future__ import annotations

import html
import json
from typing import Any

from pathprobe.version import __version__
from pathprobe.vocab import Signal

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pathprobe collector: which paths work where</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232b;background:#f6f7f9}
header{background:#1d3b53;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{padding:16px 24px;max-width:1100px}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:14px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 10px}
label{font-weight:600;margin-right:8px}
select{font:inherit;padding:3px 6px}
.note{color:#5b6673;font-size:13px}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
table{border-collapse:collapse;font-size:13px}
td,th{padding:3px 8px;border-bottom:1px solid #eef0f3;text-align:right}
th:first-child,td:first-child{text-align:left}
.wide{overflow-x:auto;max-width:100%}
#blocking td.t,#blocking th.t{text-align:left}
svg text{font:12px system-ui,sans-serif;fill:#1d232b}
svg.chart{display:block;width:100%;height:auto}
ul.keys{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px}
ul.keys svg{vertical-align:middle;margin-right:4px}
</style></head>
<body data-status="loading">
<header><h1>Which ways of reaching the web keep HTTPS intact, where</h1>
<p>Anonymised pathprobe summaries. A path "works" when it was reachable with HTTPS intact.
Cells with fewer than <b id="k">__K__</b> submissions are not shown.</p></header>
<main>
<section><label for="country">Country</label><select id="country"></select>
<span class="note" id="totals"></span></section>
<section><h2>Share of tests where each path worked, by ISO week</h2>
<div class="legend"><span><i style="background:hsl(120,55%,42%)"></i>works</span>
<span><i style="background:hsl(0,65%,50%)"></i>fails</span>
<span><i style="background:#fff;border:2px solid #7a1fa2"></i>interception seen</span></div>
<div id="heatmap"></div></section>
<section><h2>Over time</h2><div id="lines"></div><ul class="keys" id="keys" aria-label="paths"></ul></section>
<section><h2>Latest week</h2><div id="table"></div></section>
__BLOCKING__
<p class="note">pathprobe __VERSION__ collector. No addresses, labels or times of day are stored.</p>
</main>
<script id="data" type="application/json">__DATA__</script>
<script>
"use strict";
(function(){
  const NS = "http://www.w3.org/2000/svg";
  const ORDER = ["tor","vpn","doh","direct","other"];
  function el(tag, attrs, text){ const e=document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]); if (text!==undefined) e.textContent=text; return e; }
  function rank(p){ const i=ORDER.indexOf(p.split(":")[0]); return (i<0?9:i)+p; }
  function share(c){ return c.paths_tested ? c.works / c.paths_tested : 0; }
  function colour(s){ return "hsl("+Math.round(120*s)+",55%,"+(42+8*(1-s))+"%)"; }
  const DASHES=["","7 4","2 3","10 3 2 3","4 4","12 3 2 3 2 3"];
  function chart(w, h, label){ return el("svg",{viewBox:"0 0 "+w+" "+h, width:"100%", "class":"chart",
    style:"max-width:"+w+"px", preserveAspectRatio:"xMinYMin meet", role:"img", "aria-label":label}); }
  function render(cells){
    const paths=[...new Set(cells.map(c=>c.path))].sort((a,b)=>rank(a)<rank(b)?-1:1);
    const weeks=[...new Set(cells.map(c=>c.week))].sort();
    const at={}; let subs=0;
    for (const c of cells){ at[c.path+"|"+c.week]=c; subs+=c.submissions; }
    document.getElementById("totals").textContent = cells.length ?
      paths.length+" paths, "+weeks.length+" weeks shown" : "no cell has enough submissions yet";
    // heat map
    const cw=64, ch=26, left=120, top=22;
    const hm=chart(left+cw*weeks.length+10, top+ch*paths.length+10, "heat map of paths by week");
    weeks.forEach((w,j)=>hm.appendChild(el("text",{x:left+j*cw+cw/2,y:14,"text-anchor":"middle"},w)));
    paths.forEach((p,i)=>{
      hm.appendChild(el("text",{x:4,y:top+i*ch+ch/2+4},p));
      weeks.forEach((w,j)=>{
        const c=at[p+"|"+w]; if(!c) return;
        const s=share(c), g=el("g",{"class":"cell","data-path":p,"data-week":w,"data-works":c.works,
                                    "data-tested":c.paths_tested});
        const r=el("rect",{x:left+j*cw+1,y:top+i*ch+1,width:cw-2,height:ch-2,rx:3,fill:colour(s)});
        if (c.tls.intercepted>0){ r.setAttribute("stroke","#7a1fa2"); r.setAttribute("stroke-width","3"); }
        g.appendChild(r);
        g.appendChild(el("title",{},p+", "+w+": worked in "+c.works+" of "+c.paths_tested+" tests ("+
          c.submissions+" submissions); blocked "+c.reachability.blocked+", intercepted "+c.tls.intercepted));
        g.appendChild(el("text",{x:left+j*cw+cw/2,y:top+i*ch+ch/2+4,"text-anchor":"middle"},
                         Math.round(100*s)+"%"));
        hm.appendChild(g);
      });
    });
    const hmDiv=document.getElementById("heatmap"); hmDiv.replaceChildren(hm);
    // line chart
    const W=Math.max(360,80+90*weeks.length)+150, H=220, x0=44, y0=190, right=W-150;
    const lc=chart(W, H+20, "line chart of shares over time, one line per path");
    const keys=document.getElementById("keys"); keys.replaceChildren();
    [0,0.5,1].forEach(v=>{ const y=y0-170*v;
      lc.appendChild(el("line",{x1:x0,x2:right+10,y1:y,y2:y,stroke:"#dde2e8"}));
      lc.appendChild(el("text",{x:4,y:y+4},Math.round(100*v)+"%")); });
    const xs=j=>weeks.length<2 ? x0+20 : x0+20+j*(right-x0-30)/(weeks.length-1);
    weeks.forEach((w,j)=>lc.appendChild(el("text",{x:xs(j),y:H+12,"text-anchor":"middle"},w)));
    const ends=[];
    paths.forEach((p,i)=>{
      const colour="hsl("+((i*67)%360)+",60%,38%)", dash=DASHES[i%DASHES.length], pts=[];
      weeks.forEach((w,j)=>{ const c=at[p+"|"+w]; if(c) pts.push([xs(j), y0-170*share(c)]); });
      if (!pts.length) return;
      const line=el("polyline",{points:pts.map(q=>q.join(",")).join(" "),fill:"none",
                                stroke:colour,"stroke-width":2,"stroke-dasharray":dash,"class":"series","data-path":p});
      line.appendChild(el("title",{},p));
      lc.appendChild(line);
      const key=document.createElement("li"); key.className="key"; key.dataset.path=p;
      const sw=el("svg",{width:30,height:10,"aria-hidden":"true"});
      sw.appendChild(el("line",{x1:0,y1:5,x2:30,y2:5,stroke:colour,"stroke-width":2,"stroke-dasharray":dash}));
      key.appendChild(sw); key.appendChild(document.createTextNode(p)); keys.appendChild(key);
      pts.forEach(q=>lc.appendChild(el("circle",{cx:q[0],cy:q[1],r:3,fill:colour})));
      ends.push({p:p, colour:colour, x:pts[pts.length-1][0], y:pts[pts.length-1][1]});
    });
    // end labels, pushed apart so that none overlaps
    ends.sort((a,b)=>a.y-b.y);
    let prev=-1e9;
    ends.forEach(e=>{ const y=Math.max(e.y+4, prev+14); prev=y;
      lc.appendChild(el("line",{x1:e.x+4,y1:e.y,x2:right+24,y2:y-4,stroke:e.colour,"stroke-width":1}));
      const t=el("text",{x:right+28,y:y},e.p); t.style.fill=e.colour; lc.appendChild(t); });
    document.getElementById("lines").replaceChildren(lc);
    // latest-week table
    const last=weeks[weeks.length-1], t=document.createElement("table");
    t.innerHTML="<tr><th>path ("+(last||"-")+")</th><th>worked</th><th>tests</th><th>blocked</th>"+
                "<th>intercepted</th><th>submissions</th></tr>";
    paths.forEach(p=>{ const c=at[p+"|"+last]; if(!c) return; const tr=document.createElement("tr");
      [p, Math.round(100*share(c))+"%", c.paths_tested, c.reachability.blocked, c.tls.intercepted,
       c.submissions].forEach(v=>{ const td=document.createElement("td"); td.textContent=String(v);
       tr.appendChild(td); }); t.appendChild(tr); });
    document.getElementById("table").replaceChildren(t);
  }
  try {
    const data=JSON.parse(document.getElementById("data").textContent);
    const sel=document.getElementById("country");
    const countries=[...new Set(data.by_country.cells.map(c=>c.country===null?"unknown":c.country))].sort();
    const opts=[["*","All countries"], ...countries.map(c=>[c, c==="unknown"?"Country not given":c])];
    for (const [v,label] of opts){ const o=document.createElement("option"); o.value=v; o.textContent=label;
      sel.appendChild(o); }
    function show(){ const v=sel.value;
      render(v==="*" ? data.overall.cells :
             data.by_country.cells.filter(c=>(c.country===null?"unknown":c.country)===v)); }
    sel.addEventListener("change", show);
    show();
    document.body.dataset.status = data.overall.cells.length ? "ok" : "empty";
  } catch (e) {
    document.body.dataset.status = "error";
    document.body.dataset.error = String(e);
  }
})();
</script></body></html>
"""


_BLOCKING_HEAD = (
    '<section id="blocking"><h2>How networks block</h2>\n'
    '<p class="note">Sites counted over all weeks, per country, network (ASN) and path: blocked by'
    " server name (the name in the TLS hello) or by address; reached anyway by splitting the TLS hello"
    " (into TCP segments or TLS records) with HTTPS intact; throttled (far slower than through another"
    " path). Only networks with at least k submissions are shown.</p>\n"
)
_BLOCKING_COLUMNS = (
    "country",
    "ASN",
    "path",
    "blocked by name",
    "blocked by address",
    "split into TCP segments reached",
    "split into TLS records reached",
    "sites throttled",
    "submissions",
)


def _blocking_table(by_network: dict[str, Any] | None) -> str:
    """The "How networks block" section: one row per (country, ASN, path) cell with something to show."""
    if by_network is None:
        return ""
    rows: list[str] = []
    for c in by_network.get("cells", []):
        b = c.get("blocking") or {}
        trig, ev = b.get("trigger") or {}, b.get("evasion_reached") or {}
        nums = [
            trig.get("sni", 0),
            trig.get("address", 0),
            ev.get("tcp_segments", 0),
            ev.get("tls_records", 0),
            c.get(Signal.THROTTLED, 0),
        ]
        if not any(nums):
            continue
        country = "not given" if c.get("country") is None else str(c["country"])
        asn = "not given" if c.get("asn") is None else f"AS{c['asn']}"
        cells = [f'<td class="t">{html.escape(v)}</td>' for v in (country, asn, str(c.get("path", "")))]
        cells += [f"<td>{html.escape(str(v))}</td>" for v in (*nums, c.get("submissions", 0))]
        rows.append('<tr class="net">' + "".join(cells) + "</tr>")
    if not rows:
        return _BLOCKING_HEAD + '<p class="note" id="no-blocking">Nothing to show yet.</p></section>'
    head = "".join(
        f'<th class="{"t" if i < 3 else "n"}" scope="col">{html.escape(h)}</th>'
        for i, h in enumerate(_BLOCKING_COLUMNS)
    )
    table = f'<div class="wide"><table><tr>{head}</tr>\n' + "\n".join(rows) + "</table></div>"
    return _BLOCKING_HEAD + table + "</section>"


def render_dashboard(
    by_country: dict[str, Any], overall: dict[str, Any], k: int, by_network: dict[str, Any] | None = None
) -> str:
    """The dashboard page with the two aggregates embedded as JSON (``<``, ``>``, ``&`` escaped so
    the data cannot close the script element), and the "How networks block" table from ``by_network``
    (an aggregate by country and ASN; no table when None).
    """
    data = json.dumps({"by_country": by_country, "overall": overall}, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        _PAGE.replace("__BLOCKING__", _blocking_table(by_network))
        .replace("__DATA__", data)
        .replace("__K__", html.escape(str(k)))
        .replace("__VERSION__", html.escape(__version__))
    )
