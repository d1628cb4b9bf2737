"""Minimal SVG line plots for docs/research.md (standard library only).

`plot(path, title, xlabel, ylabel, series, ...)` writes one SVG file. A series is a dict:
  label   legend text
  xs, ys  numbers (None in ys leaves a gap; a point <= 0 on a log axis is left out)
  lo, hi  optional error bar ends, aligned with ys
  dash    True for a dashed line
  line    False for markers only
  color   optional colour (default: the palette in order)
Categorical x: pass `xticks=[(x, label), ...]` with numeric xs at those positions.
"""

import math
from xml.sax.saxutils import escape

PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]

W, H = 760, 470
ML, MR, MT, MB = 78, 24, 46, 62


def _fmt(v):
    """Short tick label."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6 or a < 1e-3:
        return "%g" % v
    if a >= 1000:
        return "{:,.0f}".format(v)
    if float(v).is_integer():
        return "%d" % v
    return ("%.3f" % v).rstrip("0").rstrip(".")


def _nice_step(span, n=6):
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _lin_ticks(lo, hi):
    if hi <= lo:
        hi = lo + 1
    step = _nice_step(hi - lo)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 0.5:
        ticks.append(round(t, 12))
        t += step
    return ticks[0], ticks[-1], ticks


def _log_ticks(lo, hi):
    """Axis ends (the data range padded a little in log space) and ticks at 1, 2, 5 x 10^k
    (1, 3 x 10^k or decades on wide ranges)."""
    llo, lhi = math.log10(lo), math.log10(hi)
    if lhi - llo < 0.3:
        llo, lhi = llo - 0.15, lhi + 0.15
    pad = 0.05 * (lhi - llo)
    llo, lhi = llo - pad, lhi + pad
    decades = lhi - llo
    mults = (1,) if decades > 5 else ((1, 3) if decades > 2.5 else (1, 2, 5))
    ticks = []
    for k in range(math.floor(llo), math.ceil(lhi) + 1):
        for m in mults:
            v = m * 10**k
            if llo <= math.log10(v) <= lhi:
                ticks.append(v)
    if len(ticks) < 2:
        ticks = [10**llo, 10**lhi]
        ticks = [float("%.2g" % t) for t in ticks]
    return 10**llo, 10**lhi, ticks


def plot(
    path,
    title,
    xlabel,
    ylabel,
    series,
    log_x=False,
    log_y=False,
    xticks=None,
    vlines=(),
    hlines=(),
    notes=(),
    legend="upper left",
    ymin=None,
):
    """Writes one SVG plot; see the module comment. vlines/hlines: (value, label);
    notes: (x, y, text[, "below"]) in data coordinates."""
    pts = []
    for s in series:
        for i, (x, y) in enumerate(zip(s["xs"], s["ys"])):
            if y is None or x is None:
                continue
            if (log_x and x <= 0) or (log_y and y <= 0):
                continue
            pts.append((x, y))
            for key in ("lo", "hi"):
                if s.get(key) and s[key][i] is not None:
                    v = s[key][i]
                    if not (log_y and v <= 0):
                        pts.append((x, v))
    for v, _ in hlines:
        if not (log_y and v <= 0):
            pts.append((pts[0][0] if pts else 0, v))
    if not pts:
        raise ValueError("nothing to plot in " + path)
    xs = [p[0] for p in pts] + [v for v, _ in vlines]
    ys = [p[1] for p in pts]
    if ymin is not None:
        ys.append(ymin)
    if xticks:
        x0, x1 = min(t for t, _ in xticks) - 0.5, max(t for t, _ in xticks) + 0.5
        xt = xticks
    elif log_x:
        x0, x1, t = _log_ticks(min(xs), max(xs))
        xt = [(v, _fmt(v)) for v in t]
    else:
        x0, x1, t = _lin_ticks(min(xs), max(xs))
        xt = [(v, _fmt(v)) for v in t]
    if log_y:
        y0, y1, t = _log_ticks(min(ys), max(ys))
    else:
        y0, y1, t = _lin_ticks(min(0.0, min(ys)) if ymin is None else ymin, max(ys))
    yt = [(v, _fmt(v)) for v in t]

    pw, ph = W - ML - MR, H - MT - MB

    def sx(x):
        if log_x and not xticks:
            return ML + (math.log10(x) - math.log10(x0)) / (math.log10(x1) - math.log10(x0)) * pw
        return ML + (x - x0) / (x1 - x0) * pw

    def sy(y):
        if log_y:
            return MT + ph - (math.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)) * ph
        return MT + ph - (y - y0) / (y1 - y0) * ph

    o = []
    o.append(
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
        'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">' % (W, H, W, H)
    )
    o.append('<rect width="100%" height="100%" fill="white"/>')
    o.append(
        '<text x="%d" y="26" text-anchor="middle" font-size="15">%s</text>' % (W // 2, escape(title))
    )
    # grid and ticks
    for v, lab in yt:
        y = sy(v)
        o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>' % (ML, y, ML + pw, y))
        o.append('<text x="%.1f" y="%.1f" text-anchor="end">%s</text>' % (ML - 6, y + 4, escape(lab)))
    for v, lab in xt:
        x = sx(v)
        o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>' % (x, MT, x, MT + ph))
        o.append('<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>' % (x, MT + ph + 18, escape(lab)))
    o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>' % (ML, MT, pw, ph))
    o.append(
        '<text x="%.1f" y="%d" text-anchor="middle" font-size="13">%s</text>'
        % (ML + pw / 2, H - 16, escape(xlabel))
    )
    o.append(
        '<text transform="translate(18,%.1f) rotate(-90)" text-anchor="middle" font-size="13">%s</text>'
        % (MT + ph / 2, escape(ylabel))
    )
    for v, lab in vlines:
        x = sx(v)
        o.append(
            '<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888" stroke-dasharray="2,3"/>'
            % (x, MT, x, MT + ph)
        )
        o.append('<text x="%.1f" y="%d" font-size="11" fill="#555">%s</text>' % (x + 4, MT + 14, escape(lab)))
    for v, lab in hlines:
        if log_y and v <= 0:
            continue
        y = sy(v)
        o.append(
            '<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#888" stroke-dasharray="2,3"/>'
            % (ML, y, ML + pw, y)
        )
        o.append('<text x="%d" y="%.1f" font-size="11" fill="#555">%s</text>' % (ML + 6, y - 4, escape(lab)))
    # series
    for k, s in enumerate(series):
        c = s.get("color") or PALETTE[k % len(PALETTE)]
        dash = ' stroke-dasharray="6,4"' if s.get("dash") else ""
        seg = []
        segs = []
        for i, (x, y) in enumerate(zip(s["xs"], s["ys"])):
            ok = y is not None and x is not None and not (log_x and x <= 0) and not (log_y and y <= 0)
            if ok:
                seg.append((sx(x), sy(y)))
            elif seg:
                segs.append(seg)
                seg = []
            if ok and s.get("lo") and s.get("hi"):
                lo, hi = s["lo"][i], s["hi"][i]
                if lo is not None and hi is not None:
                    if log_y:
                        lo = max(lo, y0)
                    if hi > lo:
                        X = sx(x)
                        o.append(
                            '<path d="M%.1f %.1fV%.1fM%.1f %.1fh8M%.1f %.1fh8" stroke="%s" fill="none"/>'
                            % (X, sy(lo), sy(hi), X - 4, sy(lo), X - 4, sy(hi), c)
                        )
        if seg:
            segs.append(seg)
        for seg in segs:
            if s.get("line", True) and len(seg) > 1:
                d = "M" + " L".join("%.1f %.1f" % p for p in seg)
                o.append('<path d="%s" stroke="%s" stroke-width="2" fill="none"%s/>' % (d, c, dash))
            for X, Y in seg:
                if s.get("hollow"):
                    o.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="white" stroke="%s" stroke-width="1.5"/>' % (X, Y, c))
                else:
                    o.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>' % (X, Y, c))
    for note in notes:
        x, y, text = note[:3]
        below = len(note) > 3 and note[3] == "below"
        X, Y = sx(x), sy(y)
        o.append('<circle cx="%.1f" cy="%.1f" r="8" fill="none" stroke="#000" stroke-width="1.5"/>' % (X, Y))
        if below:
            o.append('<text x="%.1f" y="%.1f" font-size="12">%s</text>' % (X + 6, Y + 24, escape(text)))
        else:
            o.append('<text x="%.1f" y="%.1f" font-size="12">%s</text>' % (X + 11, Y - 10, escape(text)))
    # legend
    n = len(series)
    lw = max(len(s["label"]) for s in series) * 6.6 + 40
    lh = 18 * n + 8
    if legend == "upper right":
        lx, ly = ML + pw - lw - 8, MT + 8
    elif legend == "lower right":
        lx, ly = ML + pw - lw - 8, MT + ph - lh - 8
    elif legend == "lower left":
        lx, ly = ML + 8, MT + ph - lh - 8
    else:
        lx, ly = ML + 8, MT + 8
    o.append(
        '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="white" fill-opacity="0.9" stroke="#999"/>'
        % (lx, ly, lw, lh)
    )
    for k, s in enumerate(series):
        c = s.get("color") or PALETTE[k % len(PALETTE)]
        y = ly + 16 + 18 * k
        dash = ' stroke-dasharray="6,4"' if s.get("dash") else ""
        if s.get("line", True):
            o.append(
                '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>'
                % (lx + 6, y - 4, lx + 26, y - 4, c, dash)
            )
        o.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>' % (lx + 16, y - 4, c))
        o.append('<text x="%.1f" y="%.1f">%s</text>' % (lx + 32, y, escape(s["label"])))
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")
