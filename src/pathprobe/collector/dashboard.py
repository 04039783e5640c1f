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

from pathprobe.i18n import LANGUAGE_NAMES, LANGUAGES, N_, format_number, translate, translate_plural
from pathprobe.version import __version__
from pathprobe.vocab import Signal

_PAGE = r"""<!doctype html>
<html lang="__LANG__"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
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
nav.langs{float:right;font-size:13px}
nav.langs a{color:#fff;margin-left:10px}
nav.langs a[aria-current]{font-weight:700;text-decoration:none}
</style></head>
<body data-status="loading">
<header>__LANGS__<h1>__H1__</h1>
<p>__INTRO__
__HIDDEN__</p></header>
<main>
<section><label for="country">__COUNTRY__</label><select id="country"></select>
<span class="note" id="totals"></span></section>
<section><h2>__SHARE__</h2>
<div class="legend"><span><i style="background:hsl(120,55%,42%)"></i>__WORKS__</span>
<span><i style="background:hsl(0,65%,50%)"></i>__FAILS__</span>
<span><i style="background:#fff;border:2px solid #7a1fa2"></i>__SEEN__</span></div>
<div id="heatmap"></div></section>
<section><h2>__OVER__</h2><div id="lines"></div><ul class="keys" id="keys" aria-label="__PATHS__"></ul></section>
<section><h2>__LATEST__</h2><div id="table"></div></section>
__BLOCKING__
<p class="note">__FOOTER__</p>
</main>
<script id="data" type="application/json">__DATA__</script>
<script id="i18n" type="application/json">__I18N__</script>
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
  const T=JSON.parse(document.getElementById("i18n").textContent);
  function fill(s, o){ return s.replace(/\{(\w+)\}/g, (m,k)=>(k in o ? String(o[k]) : m)); }
  function num(n){ const s=String(n); if (!T.group || s.length<5) return s;
    return s.replace(/\B(?=(\d{3})+(?!\d))/g, T.group); }
  function plural(forms, n){ let i;
    if (T.plural==="ru") i = n%10===1 && n%100!==11 ? 0 : (n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);
    else i = n!==1 ? 1 : 0;
    return fill(forms[Math.min(i, forms.length-1)], {n:num(n)}); }
  function chart(w, h, label){ return el("svg",{viewBox:"0 0 "+w+" "+h, width:"100%", "class":"chart",
    style:"max-width:"+w+"px", preserveAspectRatio:"xMinYMin meet", role:"img", "aria-label":label}); }
  function render(cells){
    const paths=[...new Set(cells.map(c=>c.path))].sort((a,b)=>rank(a)<rank(b)?-1:1);
    const weeks=[...new Set(cells.map(c=>c.week))].sort();
    const at={}; let subs=0;
    for (const c of cells){ at[c.path+"|"+c.week]=c; subs+=c.submissions; }
    document.getElementById("totals").textContent = cells.length ?
      fill(T.totals, {paths:plural(T.paths_n, paths.length), weeks:plural(T.weeks_n, weeks.length)}) : T.none_yet;
    // heat map
    const cw=64, ch=26, left=120, top=22;
    const hm=chart(left+cw*weeks.length+10, top+ch*paths.length+10, T.heatmap);
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
        g.appendChild(el("title",{},fill(T.cell, {path:p, week:w, works:num(c.works), tested:num(c.paths_tested),
          submissions:num(c.submissions), blocked:num(c.reachability.blocked), intercepted:num(c.tls.intercepted)})));
        g.appendChild(el("text",{x:left+j*cw+cw/2,y:top+i*ch+ch/2+4,"text-anchor":"middle"},
                         Math.round(100*s)+"%"));
        hm.appendChild(g);
      });
    });
    const hmDiv=document.getElementById("heatmap"); hmDiv.replaceChildren(hm);
    // line chart
    const W=Math.max(360,80+90*weeks.length)+150, H=220, x0=44, y0=190, right=W-150;
    const lc=chart(W, H+20, T.linechart);
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
    const head=document.createElement("tr");
    [fill(T.col_path, {week:last||"-"}), ...T.cols].forEach(h=>{ const th=document.createElement("th");
      th.textContent=h; head.appendChild(th); });
    t.appendChild(head);
    paths.forEach(p=>{ const c=at[p+"|"+last]; if(!c) return; const tr=document.createElement("tr");
      [p, Math.round(100*share(c))+"%", num(c.paths_tested), num(c.reachability.blocked), num(c.tls.intercepted),
       num(c.submissions)].forEach(v=>{ const td=document.createElement("td"); td.textContent=String(v);
       tr.appendChild(td); }); t.appendChild(tr); });
    document.getElementById("table").replaceChildren(t);
  }
  try {
    const data=JSON.parse(document.getElementById("data").textContent);
    const sel=document.getElementById("country");
    const countries=[...new Set(data.by_country.cells.map(c=>c.country===null?"unknown":c.country))].sort();
    const opts=[["*",T.all], ...countries.map(c=>[c, c==="unknown"?T.no_country:c])];
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


_REPRESENTATIVE = {"ru": (1, 2, 5)}
"""A count for each plural form of the language (Russian has three; English and Kazakh two: 1 and 2)."""


def _num(value: object, lang: str) -> str:
    """A count for the reader: as it is in English (unchanged output), grouped for Russian and Kazakh."""
    if lang == "en" or isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format_number(value, lang=lang)


def _texts(lang: str) -> dict[str, Any]:
    """The words the page's script shows, in ``lang`` (plural forms as lists, ``{n}`` left to fill)."""
    reps = _REPRESENTATIVE.get(lang, (1, 2))
    return {
        "plural": "ru" if lang == "ru" else "two",
        "group": None if lang == "en" else "\u00a0",
        "totals": translate("{paths}, {weeks} shown", lang, paths="{paths}", weeks="{weeks}"),
        "paths_n": [translate_plural("{n} path", "{n} paths", n, lang, n="{n}") for n in reps],
        "weeks_n": [translate_plural("{n} week", "{n} weeks", n, lang, n="{n}") for n in reps],
        "none_yet": translate("no cell has enough submissions yet", lang),
        "heatmap": translate("heat map of paths by week", lang),
        "linechart": translate("line chart of shares over time, one line per path", lang),
        "cell": translate(
            "{path}, {week}: worked in {works} of {tested} tests ({submissions} submissions); blocked {blocked},"
            " intercepted {intercepted}", lang, path="{path}", week="{week}", works="{works}", tested="{tested}",
            submissions="{submissions}", blocked="{blocked}", intercepted="{intercepted}"),
        "col_path": translate("path ({week})", lang, week="{week}"),
        "cols": [translate("worked", lang), translate("tests", lang), translate("blocked", lang),
                 translate("intercepted", lang), translate("submissions", lang)],
        "all": translate("All countries", lang),
        "no_country": translate("Country not given", lang),
    }


def _languages(lang: str) -> str:
    """The switch between the dashboard's languages: a link per language, the current one marked."""
    links = "".join(
        f'<a href="?lang={code}" hreflang="{code}" lang="{code}"'
        + (' aria-current="true"' if code == lang else "")
        + f">{html.escape(LANGUAGE_NAMES[code])}</a>"
        for code in LANGUAGES
    )
    return f'<nav class="langs" aria-label="{html.escape(translate("Language", lang))}">{links}</nav>'


def _blocking_head(lang: str) -> str:
    return (
        f'<section id="blocking"><h2>{html.escape(translate("How networks block", lang))}</h2>\n'
        '<p class="note">' + html.escape(translate(
            "Sites counted over all weeks, per country, network (ASN) and path: blocked by server name (the name"
            " in the TLS hello) or by address; reached anyway by splitting the TLS hello (into TCP segments or TLS"
            " records) with HTTPS intact; throttled (far slower than through another path). Only networks with at"
            " least k submissions are shown.", lang)) + "</p>\n"
    )


_BLOCKING_COLUMNS = (
    N_("country"),
    N_("ASN"),
    N_("path"),
    N_("blocked by name"),
    N_("blocked by address"),
    N_("split into TCP segments reached"),
    N_("split into TLS records reached"),
    N_("sites throttled"),
    N_("submissions"),
)


def _blocking_table(by_network: dict[str, Any] | None, lang: str = "en") -> str:
    """The "How networks block" section: one row per (country, ASN, path) cell with something to show."""
    if by_network is None:
        return ""
    not_given = translate("not given", lang)
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
        country = not_given if c.get("country") is None else str(c["country"])
        asn = not_given if c.get("asn") is None else f"AS{c['asn']}"
        cells = [f'<td class="t">{html.escape(v)}</td>' for v in (country, asn, str(c.get("path", "")))]
        cells += [f"<td>{html.escape(_num(v, lang))}</td>" for v in (*nums, c.get("submissions", 0))]
        rows.append('<tr class="net">' + "".join(cells) + "</tr>")
    if not rows:
        return (_blocking_head(lang) + '<p class="note" id="no-blocking">'
                + html.escape(translate("Nothing to show yet.", lang)) + "</p></section>")
    head = "".join(
        f'<th class="{"t" if i < 3 else "n"}" scope="col">{html.escape(translate(h, lang))}</th>'
        for i, h in enumerate(_BLOCKING_COLUMNS)
    )
    table = f'<div class="wide"><table><tr>{head}</tr>\n' + "\n".join(rows) + "</table></div>"
    return _blocking_head(lang) + table + "</section>"


def _json_in_script(value: Any) -> str:
    """JSON for a ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped so it cannot close it."""
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_dashboard(
    by_country: dict[str, Any], overall: dict[str, Any], k: int, by_network: dict[str, Any] | None = None,
    lang: str = "en",
) -> str:
    """The dashboard page in ``lang`` (``<html lang>``, every word; numbers grouped for Russian and
    Kazakh) with the two aggregates embedded as JSON (``<``, ``>``, ``&`` escaped so the data cannot
    close the script element), and the "How networks block" table from ``by_network`` (an aggregate by
    country and ASN; no table when None). Each text is translated for ``lang`` explicitly, so requests
    in different languages can be rendered at the same time.
    """
    data = json.dumps({"by_country": by_country, "overall": overall}, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    mark = "\x00k\x00"
    hidden = html.escape(translate_plural(
        "Cells with fewer than {n} submission are not shown.", "Cells with fewer than {n} submissions are not shown.",
        k, lang, n=mark)).replace(mark, f'<b id="k">{html.escape(_num(k, lang))}</b>')
    words = {
        "__LANG__": lang,
        "__TITLE__": html.escape(translate("pathprobe collector: which paths work where", lang)),
        "__LANGS__": _languages(lang),
        "__H1__": html.escape(translate("Which ways of reaching the web keep HTTPS intact, where", lang)),
        "__INTRO__": html.escape(translate(
            'Anonymised pathprobe summaries. A path "works" when it was reachable with HTTPS intact.', lang),
            quote=False),
        "__HIDDEN__": hidden,
        "__COUNTRY__": html.escape(translate("Country", lang)),
        "__SHARE__": html.escape(translate("Share of tests where each path worked, by ISO week", lang)),
        "__WORKS__": html.escape(translate("works", lang)),
        "__FAILS__": html.escape(translate("fails", lang)),
        "__SEEN__": html.escape(translate("interception seen", lang)),
        "__OVER__": html.escape(translate("Over time", lang)),
        "__PATHS__": html.escape(translate("paths", lang)),
        "__LATEST__": html.escape(translate("Latest week", lang)),
        "__FOOTER__": html.escape(translate(
            "pathprobe {version} collector. No addresses, labels or times of day are stored.", lang,
            version=__version__)),
    }
    page = _PAGE
    for key, value in words.items():
        page = page.replace(key, value)
    return (
        page.replace("__BLOCKING__", _blocking_table(by_network, lang))
        .replace("__I18N__", _json_in_script(_texts(lang)))
        .replace("__DATA__", data)
    )
