/*
 * The HTML report: one self-contained page (an inline <style> and inline
 * SVG drawn here; no scripts, fonts, images or links out) made from the
 * result document alone, so that a merged result reports like one run.
 *
 * The page says first whether the run was interrupted or stopped early,
 * then has a headline table, the errors by kind and status code with the
 * first reason of each, the thresholds, the scenarios, and then four
 * plots for the run as a whole (when it has several scenarios) and for
 * each scenario: latency percentiles (log scale when they span more than
 * two decades, else linear, cut above a spike that would flatten the
 * rest, with the points cut off marked), throughput (against the open
 * model's planned rate: each second's "planned" where the timeline has it,
 * else the flat "target_rps"), and errors per second (by kind when the
 * timeline has "error_kinds", 4xx and 5xx by status code when it has
 * "error_codes") from "timeline", and the percentile spectrum from
 * "histogram" on HdrHistogram's scale, x = log10(1 / (1 - p)).
 *
 * Every string from the document is escaped. Every number printed goes
 * through fin() first, so the page never says nan or inf whatever the
 * input. A timeline longer than MAX_POINTS seconds is drawn in groups of
 * seconds (the highest latency and the mean rate of each group), and the
 * plot says so. The output depends on the input only.
 */
#include "hist.h"
#include "report.h"
#include "strbuf.h"
#include "xalloc.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MICRO "\xc2\xb5"
#define DASH "\xe2\x80\x93"            /* en dash: a value that does not exist */

#define MAX_POINTS 600                 /* per series; longer timelines are grouped */
#define HOVER_POINTS 120               /* a tooltip per point up to this many */
#define TIMELINE_ERROR "3.2%"          /* sig_bits 5, per the result format */
#define SPEC_STEP 0.02                 /* spectrum sampling, in log10(1/(1-p)) */
#define SPEC_MAX_NINES 6               /* up to 99.9999% */
#define SPEC_POINTS 301                /* SPEC_MAX_NINES / SPEC_STEP + 1 */
#define MAX_OVERLAY 8                  /* scenarios drawn in the overall spectrum */
#define LEGEND_CHARS 18
#define MAX_CODES 6                    /* status codes drawn one by one; the rest are "other" */
#define CLIP_FACTOR 2                  /* cut the latency axis at twice the series' tops... */
#define CLIP_SHARE 20                  /* ...once the highest 1/20 of each (one at least) are left out */

/* The SVG canvas and the plot area within it, in px. */
enum { SVG_W = 800, SVG_H = 300, PX0 = 78, PX1 = 636, PY0 = 36, PY1 = 250 };

static const char style[] =
	"body{font:14px/1.45 system-ui,sans-serif;color:#1a1a1a;max-width:1000px;"
	"margin:1.5em auto;padding:0 1em}\n"
	"h1{font-size:1.5em;margin:.2em 0}\n"
	"h2{font-size:1.2em;margin:1.8em 0 .4em;border-bottom:1px solid #ddd}\n"
	"table{border-collapse:collapse;margin:.4em 0 1em}\n"
	"th,td{border:1px solid #ccc;padding:.2em .55em;text-align:right;white-space:nowrap}\n"
	"th{background:#f2f2f2;font-weight:600}\n"
	".l{text-align:left}\n"
	".pass{background:#dff3df;color:#135e13;font-weight:600}\n"
	".partial{background:#fff3cd;border-left:4px solid #b38600;padding:.4em .7em}\n"
	".fail{background:#fadcdc;color:#9b1111;font-weight:600}\n"
	".unknown{background:#f4ecd0;color:#6b5300;font-weight:600}\n"
	".verdict{display:inline-block;padding:.2em .7em;border-radius:3px}\n"
	".meta{color:#444;margin:.2em 0}\n"
	".note{color:#555}\n"
	"svg{display:block;max-width:100%;height:auto;margin:.6em 0 1.2em}\n"
	"svg text{font-size:11px;fill:#333;stroke:none}\n"
	"svg .pt{font-size:13px;font-weight:600;fill:#111}\n"
	"svg .pn{fill:#666;text-anchor:end}\n"
	".yt{text-anchor:end}\n"
	".xt,.al{text-anchor:middle}\n"
	".grid{stroke:#e6e6e6}\n"
	".frame{fill:none;stroke:#888}\n"
	"path.s{fill:none;stroke-width:1.6;stroke-linejoin:round}\n"
	/* the Okabe-Ito colours (told apart with any colour vision), and black */
	".c0{stroke:#0072b2;fill:#0072b2}\n"
	".c1{stroke:#009e73;fill:#009e73}\n"
	".c2{stroke:#e69f00;fill:#e69f00}\n"
	".c3{stroke:#d55e00;fill:#d55e00}\n"
	".c4{stroke:#cc79a7;fill:#cc79a7}\n"
	".c5{stroke:#56b4e9;fill:#56b4e9}\n"
	".c6{stroke:#222;fill:#222}\n"
	".dash{stroke-dasharray:6 4}\n"
	".dot{stroke-dasharray:1.5 3;stroke-linecap:round}\n"
	".hov{fill:transparent;stroke:none}\n"
	".hov:hover{fill:rgba(0,0,0,.07)}\n";

/* ---- reading the document ---- */

static double fin(double v)
{
	return isfinite(v) ? v : 0;
}

/* The number at o[key], or def when absent or not a number. */
static double num(const json_t *o, const char *key, double def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? fin(json_number_value(v)) : def;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- text ---- */

/* s escaped for HTML text and attributes; control characters become '?'. */
static void add_esc(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			strbuf_addstr(out, "&amp;");
		else if (c == '<')
			strbuf_addstr(out, "&lt;");
		else if (c == '>')
			strbuf_addstr(out, "&gt;");
		else if (c == '"')
			strbuf_addstr(out, "&quot;");
		else if (c == '\'')
			strbuf_addstr(out, "&#39;");
		else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			strbuf_addch(out, '?');
		else
			strbuf_addch(out, c);
	}
}

/* At most max characters of s (UTF-8), escaped, with an ellipsis when cut. */
static void add_esc_short(struct strbuf *out, const char *s, size_t max)
{
	size_t chars = 0, i;
	char *cut;

	for (i = 0; s && s[i]; i++)
		if ((s[i] & 0xc0) != 0x80 && chars++ == max)
			break;
	if (!s || !s[i]) {
		add_esc(out, s);
		return;
	}
	cut = xstrndup(s, i);
	add_esc(out, cut);
	strbuf_addstr(out, "\xe2\x80\xa6");
	free(cut);
}

/* Decimals that show v to three significant digits (none from 100 up). */
static int sig3_decimals(double v)
{
	double a = fabs(v);
	int d;

	if (a == 0 || a >= 100)
		return 0;
	d = 2 - (int)floor(log10(a));
	return d > 9 ? 9 : d;
}

static double round3(double v)
{
	double m = pow(10, sig3_decimals(v));

	return fin(round(v * m) / m);
}

/* v to three significant digits, without trailing zeros. */
static void add_num(struct strbuf *out, double v)
{
	int d;

	v = fin(v);
	if (v == 0)
		v = 0;  /* no "-0" */
	if (fabs(v) >= 1e15) {
		strbuf_addf(out, "%.3g", v);
		return;
	}
	d = sig3_decimals(v);
	strbuf_addf(out, "%.*f", d, v);
	if (!d)
		return;
	while (out->buf[out->len - 1] == '0')
		out->len--;
	if (out->buf[out->len - 1] == '.')
		out->len--;
	strbuf_setlen(out, out->len);
}

/* A whole number with thousands separators. */
static void add_count(struct strbuf *out, double v)
{
	char digits[32];
	long long n;
	int len;

	v = fin(v);
	if (fabs(v) >= 1e15) {
		strbuf_addf(out, "%.3g", v);
		return;
	}
	n = llround(v);
	if (n < 0) {
		strbuf_addch(out, '-');
		n = -n;
	}
	len = snprintf(digits, sizeof(digits), "%lld", n);
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			strbuf_addch(out, ',');
		strbuf_addch(out, digits[i]);
	}
}

static void add_rate(struct strbuf *out, double v)
{
	if (fabs(fin(v)) >= 100)
		add_count(out, v);
	else
		add_num(out, v);
}

/* A latency given in microseconds, in the unit its size calls for. */
static void add_dur(struct strbuf *out, double us)
{
	us = round3(fin(us));
	if (us == 0) {
		strbuf_addch(out, '0');
	} else if (fabs(us) >= 1e6) {
		add_num(out, us / 1e6);
		strbuf_addstr(out, " s");
	} else if (fabs(us) >= 1e3) {
		add_num(out, us / 1e3);
		strbuf_addstr(out, " ms");
	} else {
		add_num(out, us);
		strbuf_addstr(out, " " MICRO "s");
	}
}

/* A count per second on an axis: 0, 250, 1.5k, 2M. */
static void add_si(struct strbuf *out, double v)
{
	static const struct { double scale; const char *suffix; } si[] = {
		{ 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" },
	};

	v = round3(fin(v));
	for (size_t i = 0; i < ARRAY_SIZE(si); i++) {
		if (fabs(v) >= si[i].scale && fabs(v) < 1e15) {
			add_num(out, v / si[i].scale);
			strbuf_addstr(out, si[i].suffix);
			return;
		}
	}
	add_num(out, v);
}

/* A fraction (0..1) as a percentage. */
static void add_pct(struct strbuf *out, double frac)
{
	double p = fin(frac) * 100;

	if (p > 0 && p < 0.001)
		strbuf_addstr(out, "&lt;0.001");
	else
		add_num(out, p);
	strbuf_addch(out, '%');
}

/* A run's length: 9.5 s, 2m 05s, 1h 00m 03s. */
static void add_secs(struct strbuf *out, double s)
{
	long long t;

	s = fin(s);
	if (s < 60 || s >= 1e9) {
		add_num(out, s);
		strbuf_addstr(out, " s");
		return;
	}
	t = llround(s);
	if (t >= 3600)
		strbuf_addf(out, "%lldh %02lldm %02llds", t / 3600, t / 60 % 60, t % 60);
	else
		strbuf_addf(out, "%lldm %02llds", t / 60, t % 60);
}

/* A time on an axis: 0, 45s, 2m, 1h30m. */
static void add_tick_time(struct strbuf *out, double s)
{
	long long t;

	s = fin(s);
	if (s <= 0 || s >= 1e9) {
		add_num(out, s);
		return;
	}
	t = llround(s);
	if (t >= 3600)
		strbuf_addf(out, "%lldh", t / 3600);
	if (t / 60 % 60)
		strbuf_addf(out, "%lldm", t / 60 % 60);
	if (t % 60 || t < 60)
		strbuf_addf(out, "%llds", t % 60);
}

/* A position on the spectrum's x axis as a percentile: 0%, 90%, 99.9%. */
static void add_nines(struct strbuf *out, double x)
{
	long k = lround(fin(x));

	if (k <= 0)
		strbuf_addstr(out, "0%");
	else if (k == 1)
		strbuf_addstr(out, "90%");
	else if (k == 2)
		strbuf_addstr(out, "99%");
	else if (k <= 15) {
		strbuf_addstr(out, "99.");
		strbuf_addchars(out, '9', (size_t)k - 2);
		strbuf_addch(out, '%');
	} else
		add_num(out, x);
}

/* ---- plots: axes, ticks, lines, legends ---- */

struct axis {
	double lo, hi;
	double step;            /* linear: between ticks, > 0 */
	int log;                /* log10 scale; lo and hi are powers of ten */
	void (*fmt)(struct strbuf *, double);
	const char *label;
};

struct plot {
	struct strbuf *out;
	struct axis x, y;
	int nlegend;
};

/* 0..hi in about n steps of 1, 2 or 5 times a power of ten. */
static void axis_linear(struct axis *a, double hi, int n)
{
	double raw, mag;

	hi = fin(hi);
	if (hi <= 0)
		hi = 1;
	if (hi > 1e300)
		hi = 1e300;
	raw = hi / n;
	mag = pow(10, floor(log10(raw)));
	a->step = raw <= mag ? mag : raw <= 2 * mag ? 2 * mag : raw <= 5 * mag ? 5 * mag : 10 * mag;
	a->lo = 0;
	a->hi = ceil(hi / a->step * (1 - 1e-12)) * a->step;
	a->log = 0;
}

/* 0..hi seconds (not rounded up), ticks at steps a clock would use. */
static void axis_time(struct axis *a, double hi)
{
	static const double steps[] = {
		1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
		10800, 21600, 43200, 86400,
	};

	axis_linear(a, hi, 8);
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		if (a->hi / steps[i] <= 8) {
			a->step = steps[i];
			break;
		}
	}
	a->hi = fin(hi) > 0 ? (hi > 1e300 ? 1e300 : hi) : 1;
	a->fmt = add_tick_time;
	a->label = "time since start";
}

/* Whole decades around lo..hi, lo above 1e-3 (a nanosecond, in µs). */
static void axis_log(struct axis *a, double lo, double hi)
{
	lo = fin(lo);
	hi = fin(hi);
	if (lo < 1e-3)
		lo = 1e-3;
	if (hi > 1e300)
		hi = 1e300;
	a->lo = pow(10, floor(log10(lo)));
	a->hi = pow(10, ceil(log10(hi > lo ? hi : lo)));
	if (a->hi <= a->lo)
		a->hi = a->lo * 10;
	a->step = 1;
	a->log = 1;
}

static double axis_frac(const struct axis *a, double v)
{
	double f;

	if (a->log)
		f = (log10(v > a->lo ? v : a->lo) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	else
		f = (v - a->lo) / (a->hi - a->lo);
	f = fin(f);
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

static double plot_x(const struct plot *p, double v)
{
	return PX0 + (PX1 - PX0) * axis_frac(&p->x, v);
}

static double plot_y(const struct plot *p, double v)
{
	return PY1 - (PY1 - PY0) * axis_frac(&p->y, v);
}

static void xtick(struct plot *p, double v, int label)
{
	double x = plot_x(p, v);

	strbuf_addf(p->out, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>",
		    x, x, PY0, PY1);
	if (!label)
		return;
	strbuf_addf(p->out, "<text class=\"xt\" x=\"%.1f\" y=\"%d\">", x, PY1 + 15);
	p->x.fmt(p->out, v);
	strbuf_addstr(p->out, "</text>\n");
}

static void ytick(struct plot *p, double v, int label)
{
	double y = plot_y(p, v);

	strbuf_addf(p->out, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>",
		    PX0, PX1, y, y);
	if (!label)
		return;
	strbuf_addf(p->out, "<text class=\"yt\" x=\"%d\" y=\"%.1f\">", PX0 - 6, y + 4);
	p->y.fmt(p->out, v);
	strbuf_addstr(p->out, "</text>\n");
}

/*
 * Decades on a log axis, with 2 and 5 between them while there is room
 * (labelled up to three decades); on a linear one, every step.
 */
static void each_tick(struct plot *p, const struct axis *a, void (*fn)(struct plot *, double, int))
{
	if (a->log) {
		int d0 = (int)lround(log10(a->lo)), d1 = (int)lround(log10(a->hi));
		int span = d1 - d0, stride = span > 12 ? (span + 11) / 12 : 1;

		for (int d = d0; d <= d1; d += stride) {
			double v = pow(10, d);

			fn(p, v, 1);
			if (span <= 6 && d < d1) {
				fn(p, 2 * v, span <= 3);
				fn(p, 5 * v, span <= 3);
			}
		}
		return;
	}
	for (int i = 0; i <= 50; i++) {
		double v = a->lo + i * a->step;

		if (v > a->hi + a->step * 1e-9)
			break;
		fn(p, v, 1);
	}
}

/* Open the SVG: its accessible title, the heading and a note on the right. */
static void plot_begin(struct plot *p, const char *name, const char *what, const char *note)
{
	struct strbuf *out = p->out;

	strbuf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		    "width=\"%d\" height=\"%d\" role=\"img\"><title>", SVG_W, SVG_H, SVG_W, SVG_H);
	if (name) {
		add_esc(out, name);
		strbuf_addstr(out, ": ");
	}
	add_esc(out, what);
	strbuf_addf(out, "</title>\n<text class=\"pt\" x=\"%d\" y=\"20\">", PX0);
	add_esc(out, what);
	strbuf_addf(out, "</text><text class=\"pn\" x=\"%d\" y=\"20\">", PX1);
	add_esc(out, note);
	strbuf_addstr(out, "</text>\n");
	p->nlegend = 0;
}

static void plot_axes(struct plot *p)
{
	struct strbuf *out = p->out;

	each_tick(p, &p->x, xtick);
	each_tick(p, &p->y, ytick);
	strbuf_addf(out, "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
		    PX0, PY0, PX1 - PX0, PY1 - PY0);
	strbuf_addf(out, "<text class=\"al\" x=\"%d\" y=\"%d\">", (PX0 + PX1) / 2, PY1 + 36);
	add_esc(out, p->x.label);
	strbuf_addf(out, "</text><text class=\"al\" transform=\"rotate(-90)\" x=\"%d\" y=\"16\">",
		    -(PY0 + PY1) / 2);
	add_esc(out, p->y.label);
	strbuf_addstr(out, "</text>\n");
}

static void legend(struct plot *p, const char *cls, const char *label)
{
	int y = PY0 + 6 + 18 * p->nlegend++;

	strbuf_addf(p->out, "<g class=\"%s\"><title>", cls);
	add_esc(p->out, label);
	strbuf_addf(p->out, "</title><line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
		    "stroke-width=\"2.5\"/><text x=\"%d\" y=\"%d\">",
		    PX1 + 10, PX1 + 32, y, y, PX1 + 38, y + 4);
	add_esc_short(p->out, label, LEGEND_CHARS);
	strbuf_addstr(p->out, "</text></g>\n");
}

static int lonely(const double *ys, size_t n, size_t i)
{
	return (i == 0 || !isfinite(ys[i - 1])) && (i + 1 == n || !isfinite(ys[i + 1]));
}

/*
 * A series as a line, broken where y is not finite (no value that
 * second); a point with no neighbours is drawn as a dot. `tip` is the
 * series' tooltip.
 */
static void plot_line(struct plot *p, const double *xs, const double *ys, size_t n,
		      const char *cls, const char *label, const char *tip)
{
	struct strbuf *out = p->out;
	size_t run = 0;

	strbuf_addf(out, "<g class=\"%s\"><title>", cls);
	add_esc(out, tip);
	strbuf_addstr(out, "</title><path class=\"s\" d=\"");
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(ys[i])) {
			run = 0;
			continue;
		}
		strbuf_addf(out, "%c%.1f %.1f", run++ ? 'L' : 'M',
			    plot_x(p, xs[i]), plot_y(p, ys[i]));
	}
	strbuf_addstr(out, "\"/>");
	for (size_t i = 0; i < n; i++)
		if (isfinite(ys[i]) && lonely(ys, n, i))
			strbuf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>",
				    plot_x(p, xs[i]), plot_y(p, ys[i]));
	strbuf_addstr(out, "</g>\n");
	legend(p, cls, label);
}

/* A horizontal line across the plot at y = v. */
static void plot_hline(struct plot *p, double v, const char *cls, const char *label,
		       const char *tip)
{
	double y = plot_y(p, v);

	strbuf_addf(p->out, "<g class=\"%s\"><title>", cls);
	add_esc(p->out, tip);
	strbuf_addf(p->out, "</title><line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke-width=\"1.5\"/></g>\n", PX0, PX1, y, y);
	legend(p, cls, label);
}

typedef void tip_fn(struct strbuf *out, const void *ctx, size_t i);

/* Columns that show the values at each x as a tooltip (short series only). */
static void plot_hover(struct plot *p, const double *xs, size_t n, tip_fn *tip, const void *ctx)
{
	if (n > HOVER_POINTS)
		return;
	for (size_t i = 0; i < n; i++) {
		double x = plot_x(p, xs[i]);
		double l = i ? (plot_x(p, xs[i - 1]) + x) / 2 : PX0;
		double r = i + 1 < n ? (x + plot_x(p, xs[i + 1])) / 2 : PX1;

		if (r - l < 0.05)
			continue;
		strbuf_addf(p->out, "<rect class=\"hov\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			    "height=\"%d\"><title>", l, PY0, r - l, PY1 - PY0);
		tip(p->out, ctx, i);
		strbuf_addstr(p->out, "</title></rect>\n");
	}
}

static void plot_end(struct plot *p)
{
	strbuf_addstr(p->out, "</svg>\n");
}

static void note(struct strbuf *out, const char *text)
{
	strbuf_addstr(out, "<p class=\"note\">");
	add_esc(out, text);
	strbuf_addstr(out, "</p>\n");
}

/* ---- the timeline ---- */

enum { LAT_P50, LAT_P90, LAT_P99, LAT_MAX, NR_LAT };

static const char *const lat_key[NR_LAT] = { "p50_us", "p90_us", "p99_us", "max_us" };
static const char *const lat_name[NR_LAT] = { "p50", "p90", "p99", "max" };
/* blue, green, orange, black: p99 and max once were orange and vermillion, too alike */
static const char *const lat_class[NR_LAT] = { "c0", "c1", "c2", "c6" };
static const char *const overlay_class[] = { "c0", "c1", "c2", "c4", "c5" };

/* The kinds of error, as in "errors" and "error_kinds"; then what they miss. */
enum { NR_KINDS = 6, KIND_OTHER = NR_KINDS };

static const char *const kind_key[NR_KINDS] = {
	"connect", "timeout", "read", "write", "status_4xx", "status_5xx",
};
static const char *const kind_name[NR_KINDS + 1] = {
	"connect", "timeout", "read", "write", "4xx", "5xx", "other",
};
static const char *const kind_class[NR_KINDS + 1] = {
	"c0", "c2", "c1", "c4", "c5", "c3", "c6 dot",
};
/* status codes: 4xx in sky blue, 5xx in vermillion, told apart by dashes */
static const char *const code_class[2][3] = {
	{ "c5", "c5 dash", "c5 dot" }, { "c3", "c3 dash", "c3 dot" },
};

/*
 * The timeline as drawn: one point per second, or per group of `group`
 * seconds when it is long. Latencies are the highest in the group (NAN
 * when no second in it had a response), rates the mean.
 */
struct tl {
	size_t n;
	size_t group;
	double t_end;                   /* the last second */
	double *mem;
	double *x;                      /* middle of the seconds covered */
	double *t0, *t1;                /* first and last second covered (t = 1, 2, ...) */
	double *req, *err, *drop;       /* per second */
	double *planned;                /* per second, as planned; NAN where not said */
	double *kind[NR_KINDS + 1];     /* errors per second by kind, then the rest */
	double *code[MAX_CODES];        /* 4xx and 5xx answers per second by status code */
	unsigned codes[MAX_CODES];      /* which codes, ascending */
	size_t nr_codes;
	double *lat[NR_LAT];            /* µs */
	int has_planned;                /* some second says "planned" */
	int has_kinds;                  /* some second says "error_kinds" */
};

/* Enough doubles per point for every series above. */
#define TL_SERIES (7 + NR_KINDS + 1 + MAX_CODES + NR_LAT)

static int by_code(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* The status codes to draw: the MAX_CODES most frequent in "error_codes", ascending. */
static void tl_pick_codes(struct tl *tl, const json_t *timeline)
{
	double total[600] = { 0 };
	const json_t *e;
	size_t i;

	json_array_foreach(timeline, i, e) {
		const char *key;
		json_t *v;

		json_object_foreach(json_object_get(e, "error_codes"), key, v) {
			long c = strtol(key, NULL, 10);

			if (c >= 400 && c < 600 && json_is_number(v))
				total[c] += fin(json_number_value(v));
		}
	}
	for (size_t n = 0; n < MAX_CODES; n++) {
		unsigned best = 0;

		for (unsigned c = 400; c < 600; c++)
			if (total[c] > 0 && (!best || total[c] > total[best]))
				best = c;
		if (!best)
			break;
		tl->codes[tl->nr_codes++] = best;
		total[best] = 0;
	}
	qsort(tl->codes, tl->nr_codes, sizeof(*tl->codes), by_code);
}

/* A second's 4xx and 5xx answers by code, into point k; those of codes not drawn count as other. */
static void tl_codes(struct tl *tl, size_t k, const json_t *e, double size)
{
	const json_t *codes = json_object_get(e, "error_codes");
	double drawn = 0;

	if (!tl->nr_codes)
		return;
	for (size_t j = 0; j < tl->nr_codes; j++) {
		char key[16];
		double v;

		snprintf(key, sizeof(key), "%u", tl->codes[j]);
		v = num(codes, key, 0);
		if (v > 0) {
			tl->code[j][k] += v / size;
			drawn += v;
		}
	}
	/* the classes are drawn as their codes now */
	for (int j = 4; j < NR_KINDS; j++) {
		double v = num(json_object_get(e, "error_kinds"), kind_key[j], 0) / size;

		tl->kind[j][k] -= v;
		tl->kind[KIND_OTHER][k] += v;
	}
	tl->kind[KIND_OTHER][k] -= drawn / size;
}

/*
 * A second's errors by kind, added to point k as a share of a group of
 * `size` seconds; errors its "error_kinds" does not account for (all of
 * them when it has none) count as other.
 */
static void tl_kinds(struct tl *tl, size_t k, const json_t *e, double size)
{
	const json_t *kinds = json_object_get(e, "error_kinds");
	double sum = 0, rest;

	if (json_is_object(kinds))
		tl->has_kinds = 1;
	for (int j = 0; j < NR_KINDS; j++) {
		double v = num(kinds, kind_key[j], 0);

		if (v > 0) {
			tl->kind[j][k] += v / size;
			sum += v;
		}
	}
	rest = num(e, "errors", 0) - sum;
	if (rest > 0)
		tl->kind[KIND_OTHER][k] += rest / size;
}

static void tl_group(struct tl *tl, const json_t *timeline, size_t start, size_t end)
{
	size_t k = tl->n++, nplanned = 0;
	double planned = 0;

	for (int j = 0; j < NR_LAT; j++)
		tl->lat[j][k] = NAN;
	for (size_t i = start; i < end; i++) {
		const json_t *e = json_array_get(timeline, i);
		double t = num(e, "t", (double)i + 1);

		if (i == start)
			tl->t0[k] = t;
		tl->t1[k] = t;
		if (t > tl->t_end)
			tl->t_end = t;
		tl->req[k] += num(e, "requests", 0) / (double)(end - start);
		tl->err[k] += num(e, "errors", 0) / (double)(end - start);
		tl->drop[k] += num(e, "dropped", 0) / (double)(end - start);
		tl_kinds(tl, k, e, (double)(end - start));
		tl_codes(tl, k, e, (double)(end - start));
		if (json_is_number(json_object_get(e, "planned"))) {
			planned += num(e, "planned", 0);
			nplanned++;
		}
		if (num(e, "requests", 1) <= 0)
			continue;
		for (int j = 0; j < NR_LAT; j++) {
			double v = num(e, lat_key[j], NAN);

			if (isfinite(v) && !(tl->lat[j][k] >= v))
				tl->lat[j][k] = v;
		}
	}
	tl->x[k] = (tl->t0[k] - 1 + tl->t1[k]) / 2;
	tl->planned[k] = nplanned ? fin(planned / (double)nplanned) : NAN;
	tl->has_planned |= nplanned > 0;
}

/* The next series of cap points in the timeline's memory. */
static double *tl_take(double **mem, size_t cap)
{
	double *p = *mem;

	*mem += cap;
	return p;
}

static void tl_load(struct tl *tl, const json_t *timeline)
{
	size_t n = json_array_size(timeline), cap;
	double *m;

	memset(tl, 0, sizeof(*tl));
	tl->group = n > MAX_POINTS ? (n + MAX_POINTS - 1) / MAX_POINTS : 1;
	cap = (n + tl->group - 1) / tl->group;
	tl->mem = m = xcalloc(cap ? cap * TL_SERIES : 1, sizeof(double));
	tl->x = tl_take(&m, cap);
	tl->t0 = tl_take(&m, cap);
	tl->t1 = tl_take(&m, cap);
	tl->req = tl_take(&m, cap);
	tl->err = tl_take(&m, cap);
	tl->drop = tl_take(&m, cap);
	tl->planned = tl_take(&m, cap);
	for (int j = 0; j <= NR_KINDS; j++)
		tl->kind[j] = tl_take(&m, cap);
	for (int j = 0; j < MAX_CODES; j++)
		tl->code[j] = tl_take(&m, cap);
	for (int j = 0; j < NR_LAT; j++)
		tl->lat[j] = tl_take(&m, cap);
	tl_pick_codes(tl, timeline);
	for (size_t i = 0; i < n; i += tl->group)
		tl_group(tl, timeline, i, i + tl->group < n ? i + tl->group : n);
	if (tl->t_end < 1)
		tl->t_end = 1;
}

static void tl_release(struct tl *tl)
{
	free(tl->mem);
	memset(tl, 0, sizeof(*tl));
}

/* "per second" or "mean of each 6 s", for the plot's note. */
static void add_grouping(struct strbuf *sb, const struct tl *tl, const char *how)
{
	if (tl->group > 1)
		strbuf_addf(sb, "%s of each %zu s (%zu points)", how, tl->group, tl->n);
	else
		strbuf_addstr(sb, "per second");
}

static void add_when(struct strbuf *out, const struct tl *tl, size_t i)
{
	strbuf_addstr(out, "second ");
	add_count(out, tl->t0[i]);
	if (tl->t1[i] != tl->t0[i]) {
		strbuf_addstr(out, DASH);
		add_count(out, tl->t1[i]);
	}
	strbuf_addstr(out, ": ");
}

static void series_range(const double *ys, size_t n, double *lo, double *hi)
{
	*lo = DBL_MAX;
	*hi = -DBL_MAX;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(ys[i]))
			continue;
		if (ys[i] < *lo)
			*lo = ys[i];
		if (ys[i] > *hi)
			*hi = ys[i];
	}
}

/* ---- the latency plot ---- */

static void latency_tip(struct strbuf *out, const void *ctx, size_t i)
{
	const struct tl *tl = ctx;

	add_when(out, tl, i);
	if (!isfinite(tl->lat[LAT_MAX][i])) {
		strbuf_addstr(out, "no responses");
		return;
	}
	for (int j = 0; j < NR_LAT; j++) {
		strbuf_addf(out, "%s%s ", j ? ", " : "", lat_name[j]);
		add_dur(out, tl->lat[j][i]);
	}
}

/* The lowest positive value in the series, DBL_MAX if none. */
static double lowest_positive(const double *ys, size_t n)
{
	double lo = DBL_MAX;

	for (size_t i = 0; i < n; i++)
		if (isfinite(ys[i]) && ys[i] > 0 && ys[i] < lo)
			lo = ys[i];
	return lo;
}

/* Points above the axis, drawn at its top: a triangle each, saying their value. */
static void mark_clipped(struct plot *p, const struct tl *tl, int j)
{
	size_t n = 0;

	for (size_t i = 0; i < tl->n; i++) {
		double v = tl->lat[j][i], x = plot_x(p, tl->x[i]);

		if (p->y.log || !(v > p->y.hi))
			continue;
		if (!n++)
			strbuf_addf(p->out, "<g class=\"%s\">", lat_class[j]);
		strbuf_addf(p->out, "<path d=\"M%.1f %d L%.1f %d L%.1f %d Z\"><title>", x - 5, PY0 + 9,
			    x + 5, PY0 + 9, x, PY0);
		add_when(p->out, tl, i);
		strbuf_addf(p->out, "%s ", lat_name[j]);
		add_dur(p->out, v);
		strbuf_addstr(p->out, ", off the scale</title></path>");
	}
	if (n)
		strbuf_addstr(p->out, "</g>\n");
}

static void latency_series(struct plot *p, const struct tl *tl, int j)
{
	struct strbuf tip = STRBUF_INIT;
	double lo, hi;

	series_range(tl->lat[j], tl->n, &lo, &hi);
	if (lo > hi)
		return;         /* not in this timeline */
	strbuf_addf(&tip, "%s: lowest ", lat_name[j]);
	add_dur(&tip, lo);
	strbuf_addstr(&tip, ", highest ");
	add_dur(&tip, hi);
	plot_line(p, tl->x, tl->lat[j], tl->n, lat_class[j], lat_name[j], tip.buf);
	mark_clipped(p, tl, j);
	strbuf_release(&tip);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Where a linear latency axis should end so that a spike (the first
 * second's connections being made, a stall) does not flatten the rest:
 * CLIP_FACTOR times the highest value any series reaches once its top
 * 1/CLIP_SHARE of points (one at least) are left out. Returns `hi` when
 * nothing is that far above, or the series are too short to tell.
 */
static double latency_clip(const struct tl *tl, double hi)
{
	double *v = xcalloc(tl->n ? tl->n : 1, sizeof(*v)), top = 0;

	for (int j = 0; j < NR_LAT; j++) {
		size_t n = 0, skip;

		for (size_t i = 0; i < tl->n; i++)
			if (isfinite(tl->lat[j][i]))
				v[n++] = tl->lat[j][i];
		if (n < 3)
			continue;
		qsort(v, n, sizeof(*v), by_value);
		skip = n / CLIP_SHARE ? n / CLIP_SHARE : 1;
		top = fmax(top, v[n - 1 - skip]);
	}
	free(v);
	return top > 0 && hi > CLIP_FACTOR * top ? CLIP_FACTOR * top : hi;
}

/*
 * p50, p90, p99 and max per second. On a linear axis from zero, cut above
 * a spike (latency_clip()), unless even then max over p50 spans more than
 * two decades: a log axis then, as a linear one would flatten p50 to the
 * floor.
 */
static void plot_latency(struct strbuf *out, const struct tl *tl, const char *name)
{
	struct plot p = { .out = out };
	struct strbuf nt = STRBUF_INIT;
	double lo = DBL_MAX, hi = 0, l, h, p50, top;
	size_t clipped = 0;

	for (int j = 0; j < NR_LAT; j++) {
		series_range(tl->lat[j], tl->n, &l, &h);
		hi = h > hi ? h : hi;
		l = lowest_positive(tl->lat[j], tl->n);
		lo = l < lo ? l : lo;
	}
	if (hi <= 0) {
		note(out, "No second of the timeline has a response, "
		     "so there are no latencies over time.");
		return;
	}
	p50 = lowest_positive(tl->lat[LAT_P50], tl->n);
	top = latency_clip(tl, hi);
	axis_time(&p.x, tl->t_end);
	if (top / (p50 < DBL_MAX ? p50 : lo) > 100) {
		axis_log(&p.y, lo, hi);
		p.y.label = "latency (log scale)";
	} else {
		axis_linear(&p.y, top * 1.05, 5);
		p.y.label = top < hi ? "latency (linear scale, cut)" : "latency (linear scale)";
	}
	p.y.fmt = add_dur;
	add_grouping(&nt, tl, "highest");
	strbuf_addstr(&nt, "; within " TIMELINE_ERROR);
	for (int j = 0; j < NR_LAT && !p.y.log; j++)
		for (size_t i = 0; i < tl->n; i++)
			clipped += tl->lat[j][i] > p.y.hi;
	if (clipped) {
		strbuf_addstr(&nt, "; ");
		add_count(&nt, (double)clipped);
		strbuf_addstr(&nt, " above the axis (\xe2\x96\xb2), up to ");
		add_dur(&nt, hi);
	}
	plot_begin(&p, name, "Latency percentiles over time", nt.buf);
	plot_axes(&p);
	for (int j = NR_LAT - 1; j >= 0; j--)
		latency_series(&p, tl, j);
	plot_hover(&p, tl->x, tl->n, latency_tip, tl);
	plot_end(&p);
	strbuf_release(&nt);
}

/* ---- the throughput plot ---- */

struct rate_ctx {
	const struct tl *tl;
	double target;          /* 0: none */
};

static void rate_tip(struct strbuf *out, const void *ctx, size_t i)
{
	const struct rate_ctx *c = ctx;

	add_when(out, c->tl, i);
	add_rate(out, c->tl->req[i]);
	strbuf_addstr(out, " requests/s");
	if (c->tl->has_planned) {
		if (isfinite(c->tl->planned[i])) {
			strbuf_addstr(out, " (planned ");
			add_rate(out, c->tl->planned[i]);
			strbuf_addch(out, ')');
		}
	} else if (c->target > 0) {
		strbuf_addstr(out, " (target ");
		add_rate(out, c->target);
		strbuf_addch(out, ')');
	}
}

/* The open model's planned rate second by second (it follows a ramp), dashed. */
static void planned_line(struct plot *p, const struct tl *tl)
{
	struct strbuf tip = STRBUF_INIT;
	double lo, hi;

	series_range(tl->planned, tl->n, &lo, &hi);
	strbuf_addstr(&tip, "planned (what the open model meant to send): lowest ");
	add_rate(&tip, lo);
	strbuf_addstr(&tip, "/s, highest ");
	add_rate(&tip, hi);
	strbuf_addstr(&tip, "/s");
	plot_line(p, tl->x, tl->planned, tl->n, "c6 dash", "planned", tip.buf);
	strbuf_release(&tip);
}

/*
 * Responses per second, and the planned rate (open model) dashed: per
 * second when the timeline says it, else the mean target as a flat line.
 */
static void plot_throughput(struct strbuf *out, const struct tl *tl, const char *name,
			    double target)
{
	struct plot p = { .out = out };
	struct rate_ctx c = { tl, fin(target) };
	struct strbuf nt = STRBUF_INIT, tip = STRBUF_INIT;
	double lo, hi, plo, phi = c.target;

	series_range(tl->req, tl->n, &lo, &hi);
	if (tl->has_planned)
		series_range(tl->planned, tl->n, &plo, &phi);
	axis_time(&p.x, tl->t_end);
	axis_linear(&p.y, (hi > phi ? hi : phi) * 1.05, 5);
	p.y.fmt = add_si;
	p.y.label = "requests per second";
	add_grouping(&nt, tl, "mean");
	plot_begin(&p, name, "Throughput over time", nt.buf);
	plot_axes(&p);
	strbuf_addstr(&tip, "achieved (responses received): lowest ");
	add_rate(&tip, lo);
	strbuf_addstr(&tip, "/s, highest ");
	add_rate(&tip, hi);
	strbuf_addstr(&tip, "/s");
	plot_line(&p, tl->x, tl->req, tl->n, "c0", "achieved", tip.buf);
	if (tl->has_planned) {
		planned_line(&p, tl);
	} else if (c.target > 0) {
		strbuf_reset(&tip);
		strbuf_addstr(&tip, "target ");
		add_rate(&tip, c.target);
		strbuf_addstr(&tip, "/s, the mean planned rate");
		plot_hline(&p, c.target, "c6 dash", "target (mean)", tip.buf);
	}
	plot_hover(&p, tl->x, tl->n, rate_tip, &c);
	plot_end(&p);
	strbuf_release(&nt);
	strbuf_release(&tip);
}

/* ---- the errors plot ---- */

/* " (connect 3, 5xx 7)": the kinds of point i's errors, if any. */
static void add_point_kinds(struct strbuf *out, const struct tl *tl, size_t i)
{
	int any = 0;

	for (int j = 0; j <= NR_KINDS; j++) {
		if (!(tl->kind[j][i] > 0))
			continue;
		strbuf_addf(out, "%s%s ", any++ ? ", " : " (", kind_name[j]);
		add_rate(out, tl->kind[j][i]);
	}
	for (size_t j = 0; j < tl->nr_codes; j++) {
		if (!(tl->code[j][i] > 0))
			continue;
		strbuf_addf(out, "%s%u ", any++ ? ", " : " (", tl->codes[j]);
		add_rate(out, tl->code[j][i]);
	}
	if (any)
		strbuf_addch(out, ')');
}

static void errors_tip(struct strbuf *out, const void *ctx, size_t i)
{
	const struct tl *tl = ctx;

	add_when(out, tl, i);
	add_rate(out, tl->err[i]);
	strbuf_addstr(out, " errors/s");
	if (tl->has_kinds)
		add_point_kinds(out, tl, i);
	strbuf_addstr(out, ", ");
	add_rate(out, tl->drop[i]);
	strbuf_addstr(out, " dropped/s");
}

static void errors_none(struct strbuf *out, const json_t *node)
{
	double errs = num(json_object_get(node, "errors"), "total", 0);
	double dropped = num(node, "dropped", 0);

	strbuf_addstr(out, "<p class=\"note\"><strong>No errors and no dropped requests</strong> "
		      "in any second of the timeline");
	if (errs > 0 || dropped > 0) {
		strbuf_addstr(out, " (the totals count ");
		add_count(out, errs);
		strbuf_addstr(out, " errors and ");
		add_count(out, dropped);
		strbuf_addstr(out, " dropped, outside the whole seconds of the timeline)");
	}
	strbuf_addstr(out, ".</p>\n");
}

/* The highest of the errors series drawn: by kind, or all together. */
static double errors_high(const struct tl *tl)
{
	double lo, hi, max = 0;

	if (!tl->has_kinds) {
		series_range(tl->err, tl->n, &lo, &hi);
		return hi;
	}
	for (int j = 0; j <= NR_KINDS; j++) {
		series_range(tl->kind[j], tl->n, &lo, &hi);
		max = hi > max ? hi : max;
	}
	for (size_t j = 0; j < tl->nr_codes; j++) {
		series_range(tl->code[j], tl->n, &lo, &hi);
		max = hi > max ? hi : max;
	}
	return max;
}

/* A line of errors per second, when there are any; `name` in the legend. */
static void errors_line(struct plot *p, const struct tl *tl, const double *ys, const char *cls,
			const char *name)
{
	struct strbuf tip = STRBUF_INIT;
	double lo, hi;

	series_range(ys, tl->n, &lo, &hi);
	if (!(hi > 0))
		return;
	strbuf_addf(&tip, "%s errors per second: highest ", name);
	add_rate(&tip, hi);
	strbuf_addstr(&tip, "/s");
	plot_line(p, tl->x, ys, tl->n, cls, name, tip.buf);
	strbuf_release(&tip);
}

/* A line per kind of error, and per status code, that occurs anywhere in the timeline. */
static void errors_by_kind(struct plot *p, const struct tl *tl)
{
	size_t used[2] = { 0, 0 };

	for (int j = 0; j < NR_KINDS; j++)
		errors_line(p, tl, tl->kind[j], kind_class[j], kind_name[j]);
	for (size_t j = 0; j < tl->nr_codes; j++) {
		int five = tl->codes[j] >= 500;
		char name[16];

		snprintf(name, sizeof(name), "%u", tl->codes[j]);
		errors_line(p, tl, tl->code[j], code_class[five][used[five]++ % 3], name);
	}
	errors_line(p, tl, tl->kind[KIND_OTHER], kind_class[KIND_OTHER], kind_name[KIND_OTHER]);
}

static void plot_errors(struct strbuf *out, const struct tl *tl, const json_t *node,
			const char *name)
{
	struct plot p = { .out = out };
	struct strbuf nt = STRBUF_INIT;
	double lo, ehi, dhi;

	series_range(tl->err, tl->n, &lo, &ehi);
	series_range(tl->drop, tl->n, &lo, &dhi);
	if (ehi <= 0 && dhi <= 0) {
		errors_none(out, node);
		return;
	}
	ehi = errors_high(tl);
	axis_time(&p.x, tl->t_end);
	axis_linear(&p.y, (ehi > dhi ? ehi : dhi) * 1.05, 5);
	p.y.fmt = add_si;
	p.y.label = "per second";
	add_grouping(&nt, tl, "mean");
	strbuf_addstr(&nt, tl->nr_codes ? "; errors by kind and status code"
			   : tl->has_kinds ? "; errors by kind" : "; errors of all kinds together");
	plot_begin(&p, name, "Errors and dropped requests over time", nt.buf);
	plot_axes(&p);
	if (tl->has_kinds)
		errors_by_kind(&p, tl);
	else
		plot_line(&p, tl->x, tl->err, tl->n, "c3", "errors",
			  "errors per second: transport errors, 4xx and 5xx");
	plot_line(&p, tl->x, tl->drop, tl->n, "c4 dash", "dropped",
		  "dropped per second: sends the open model could not make in time");
	plot_hover(&p, tl->x, tl->n, errors_tip, tl);
	plot_end(&p);
	strbuf_release(&nt);
}

/* ---- the percentile spectrum ---- */

struct spec {
	struct hist h;
	const char *label;
	const char *cls;
	double ys[SPEC_POINTS];     /* µs; NAN beyond the series' own depth */
};

static const double spec_marks[] = { 50, 90, 99, 99.9, 99.99, 99.999, 99.9999 };

static double nines_of(double pct)
{
	return log10(100 / (100 - pct));
}

/* How deep (in nines) the spectrum of n values means something: 1..6. */
static int spec_depth(uint64_t n)
{
	int d = (int)floor(log10((double)n));

	return d < 1 ? 1 : d > SPEC_MAX_NINES ? SPEC_MAX_NINES : d;
}

static void spec_sample(struct spec *s, int depth)
{
	int last = spec_depth(s->h.count) < depth ? spec_depth(s->h.count) : depth;

	for (int i = 0; i < SPEC_POINTS; i++) {
		double x = i * SPEC_STEP;

		if (x > last + 1e-9)
			s->ys[i] = NAN;
		else if (i == 0)
			s->ys[i] = (double)s->h.min / 1e3;
		else
			s->ys[i] = (double)hist_percentile(&s->h, 100 * (1 - pow(10, -x))) / 1e3;
	}
}

/* The value at each marked percentile, dotted and labelled. */
static void spec_marks_draw(struct plot *p, const struct spec *s, int depth)
{
	struct strbuf *out = p->out;

	strbuf_addf(out, "<g class=\"%s\">", s->cls);
	for (size_t i = 0; i < ARRAY_SIZE(spec_marks); i++) {
		double x = nines_of(spec_marks[i]);
		double v = (double)hist_percentile(&s->h, spec_marks[i]) / 1e3;
		double cx = plot_x(p, x), cy = plot_y(p, v);

		if (x > depth + 1e-9)
			break;
		strbuf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>p%g: ",
			    cx, cy, spec_marks[i]);
		add_dur(out, v);
		/* labels near the right edge end at the dot, clear of the legend */
		strbuf_addf(out, "</title></circle><text x=\"%.1f\" y=\"%.1f\"%s>",
			    cx > PX1 - 60 ? cx - 4 : cx + 4, cy > PY0 + 14 ? cy - 6 : cy + 14,
			    cx > PX1 - 60 ? " text-anchor=\"end\"" : "");
		add_dur(out, v);
		strbuf_addstr(out, "</text>");
	}
	strbuf_addstr(out, "</g>\n");
}

/* The y axis for the spectra: log when max over p50 spans two decades. */
static void spec_yaxis(struct plot *p, struct spec *s, size_t n)
{
	double lo = DBL_MAX, hi = (double)s[0].h.max / 1e3, l, h;
	double p50 = (double)hist_percentile(&s[0].h, 50) / 1e3;

	for (size_t i = 0; i < n; i++) {
		series_range(s[i].ys, SPEC_POINTS, &l, &h);
		hi = h > hi ? h : hi;
		l = lowest_positive(s[i].ys, SPEC_POINTS);
		lo = l < lo ? l : lo;
	}
	if (hi / (p50 > 0 ? p50 : lo) > 100) {
		axis_log(&p->y, lo, hi);
		p->y.label = "latency (log scale)";
	} else {
		axis_linear(&p->y, hi * 1.05, 5);
		p->y.label = "latency (linear scale)";
	}
	p->y.fmt = add_dur;
}

static void spec_note(struct strbuf *nt, const struct hist *h)
{
	strbuf_addstr(nt, "whole run; ");
	add_count(nt, (double)h->count);
	strbuf_addstr(nt, " values within ");
	add_num(nt, ldexp(100, -(int)h->sig_bits));
	strbuf_addch(nt, '%');
	if (h->clamped) {
		strbuf_addstr(nt, "; ");
		add_count(nt, (double)h->clamped);
		strbuf_addstr(nt, " clamped at 73 min");
	}
}

static void plot_spectra(struct strbuf *out, struct spec *s, size_t n, const char *name)
{
	struct plot p = { .out = out };
	struct strbuf nt = STRBUF_INIT, lbl = STRBUF_INIT;
	double xs[SPEC_POINTS];
	int depth = spec_depth(s[0].h.count);

	for (int i = 0; i < SPEC_POINTS; i++)
		xs[i] = i * SPEC_STEP;
	for (size_t i = 0; i < n; i++)
		spec_sample(&s[i], depth);
	axis_linear(&p.x, depth, depth);
	p.x.fmt = add_nines;
	p.x.label = "percentile (each step to the right is ten times rarer)";
	spec_yaxis(&p, s, n);
	spec_note(&nt, &s[0].h);
	plot_begin(&p, name, "Latency by percentile", nt.buf);
	plot_axes(&p);
	strbuf_addstr(&lbl, "max ");
	add_dur(&lbl, (double)s[0].h.max / 1e3);
	plot_hline(&p, (double)s[0].h.max / 1e3, "c3 dash", lbl.buf, lbl.buf);
	for (size_t i = 0; i < n; i++)
		plot_line(&p, xs, s[i].ys, SPEC_POINTS, s[i].cls, s[i].label, s[i].label);
	spec_marks_draw(&p, &s[0], depth);
	plot_end(&p);
	strbuf_release(&nt);
	strbuf_release(&lbl);
}

/* Read one histogram; 0, or -1 after saying why in a note. */
static int spec_read(struct strbuf *out, struct spec *s, const json_t *j)
{
	const char *err = NULL;
	struct strbuf msg = STRBUF_INIT;

	if (!j) {
		note(out, "No latency histogram in the result, so no percentile spectrum.");
		return -1;
	}
	if (hist_from_json(&s->h, j, &err) < 0) {
		strbuf_addf(&msg, "The latency histogram could not be read (%s).",
			    err ? err : "invalid");
		note(out, msg.buf);
		strbuf_release(&msg);
		return -1;
	}
	if (!s->h.count) {
		note(out, "No latencies were recorded, so no percentile spectrum.");
		return -1;
	}
	return 0;
}

/*
 * The spectrum of node's histogram; for the whole run, each scenario's
 * too (up to MAX_OVERLAY) so that they can be compared.
 */
static void plot_spectrum(struct strbuf *out, const json_t *node, const char *name,
			  const json_t *overlay)
{
	size_t n = 1, nr = json_array_size(overlay) > MAX_OVERLAY ? 0 : json_array_size(overlay);
	struct spec *s = xcalloc(1 + nr, sizeof(*s));
	const char *err;

	s[0].label = nr ? "all scenarios" : name ? name : "latency";
	s[0].cls = nr ? "c6" : "c0";
	if (spec_read(out, &s[0], json_object_get(node, "histogram")) < 0)
		goto out;
	for (size_t i = 0; i < nr; i++) {
		const json_t *sc = json_array_get(overlay, i);
		const json_t *hj = json_object_get(sc, "histogram");
		struct spec *o = &s[n];

		if (!hj || hist_from_json(&o->h, hj, &err) < 0 || !o->h.count) {
			hist_release(&o->h);
			memset(&o->h, 0, sizeof(o->h));
			continue;
		}
		o->label = str(sc, "name") ? str(sc, "name") : "(unnamed)";
		o->cls = overlay_class[(n - 1) % ARRAY_SIZE(overlay_class)];
		n++;
	}
	plot_spectra(out, s, n, name);
out:
	for (size_t i = 0; i <= nr; i++)
		hist_release(&s[i].h);
	free(s);
}

/* ---- sections ---- */

static void plots(struct strbuf *out, const json_t *node, const char *name, double target,
		  const json_t *overlay)
{
	struct tl tl;

	tl_load(&tl, json_object_get(node, "timeline"));
	if (tl.n) {
		plot_latency(out, &tl, name);
		plot_throughput(out, &tl, name, target);
		plot_errors(out, &tl, node, name);
	} else {
		note(out, "The result has no per-second timeline (the run was shorter than a "
		     "second, or it is missing), so there are no plots over time.");
	}
	tl_release(&tl);
	plot_spectrum(out, node, name, overlay);
}

/* A run that did not run its course says so before any figure. */
static void partial(struct strbuf *out, const json_t *r)
{
	if (json_is_true(json_object_get(r, "interrupted"))) {
		strbuf_addstr(out, "<p class=\"partial\"><strong>Interrupted</strong> after ");
		add_secs(out, num(r, "duration_s", 0));
		strbuf_addstr(out, ": the figures are of the part that ran.</p>\n");
	}
	if (str(r, "stopped")) {
		strbuf_addstr(out, "<p class=\"partial\"><strong>Stopped early</strong>: ");
		add_esc(out, str(r, "stopped"));
		strbuf_addstr(out, ".</p>\n");
	}
}

static void page_head(struct strbuf *out, const json_t *r)
{
	const char *target = str(r, "target");

	strbuf_addstr(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
		      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"/>\n"
		      "<title>Load test report: ");
	add_esc(out, target ? target : "unknown target");
	strbuf_addf(out, "</title>\n<style>\n%s</style></head>\n<body>\n<h1>Load test of ", style);
	add_esc(out, target ? target : "an unknown target");
	strbuf_addstr(out, "</h1>\n<p class=\"meta\">");
	if (str(r, "started_at")) {
		strbuf_addstr(out, "Started ");
		add_esc(out, str(r, "started_at"));
		strbuf_addstr(out, ", ran ");
	} else {
		strbuf_addstr(out, "Ran ");
	}
	add_secs(out, num(r, "duration_s", 0));
	if (str(r, "tool")) {
		strbuf_addstr(out, " (");
		add_esc(out, str(r, "tool"));
		strbuf_addch(out, ')');
	}
	strbuf_addstr(out, ".</p>\n");
	partial(out, r);
}

/* A latency cell from a latency_us object; a dash where there is none. */
static void lat_cell(struct strbuf *out, const json_t *lat, const char *key, double requests)
{
	strbuf_addstr(out, "<td>");
	if (requests > 0 && json_is_number(json_object_get(lat, key)))
		add_dur(out, num(lat, key, 0));
	else
		strbuf_addstr(out, DASH);
	strbuf_addstr(out, "</td>");
}

static void error_row(struct strbuf *out, const char *key, double n, const char *first)
{
	strbuf_addstr(out, "<tr><td class=\"l\"><code>");
	add_esc(out, key);
	strbuf_addstr(out, "</code></td><td>");
	add_count(out, n);
	strbuf_addstr(out, "</td><td class=\"l\">");
	if (first)
		add_esc_short(out, first, 120);
	else
		strbuf_addstr(out, DASH);
	strbuf_addstr(out, "</td></tr>\n");
}

/* Every kind of transport error and every 4xx and 5xx status code, with its first reason. */
static void error_table(struct strbuf *out, const json_t *r)
{
	const json_t *errs = json_object_get(r, "errors"), *ex = json_object_get(r, "error_examples");
	const json_t *codes = json_object_get(r, "status_codes");
	const char *code;
	json_t *v;

	if (!(num(errs, "total", 0) > 0))
		return;
	strbuf_addstr(out, "<table><tr><th class=\"l\">error</th><th>count</th>"
		      "<th class=\"l\">the first one</th></tr>\n");
	for (int i = 0; i < NR_KINDS; i++)
		if (num(errs, kind_key[i], 0) > 0 && (i < 4 || !json_is_object(codes)))
			error_row(out, kind_key[i], num(errs, kind_key[i], 0), str(ex, kind_key[i]));
	json_object_foreach((json_t *)codes, code, v) {
		char key[32];

		if ((code[0] != '4' && code[0] != '5') || !(fin(json_number_value(v)) > 0))
			continue;
		snprintf(key, sizeof(key), "status_%.8s", code);
		error_row(out, key, json_number_value(v), str(ex, key));
	}
	strbuf_addstr(out, "</table>\n");
}

static void summary(struct strbuf *out, const json_t *r)
{
	static const char *const keys[] = { "p50", "p90", "p99", "p999", "max" };
	const json_t *lat = json_object_get(r, "latency_us");
	double requests = num(r, "requests", 0);

	strbuf_addstr(out, "<h2>Summary</h2>\n<table><tr><th>requests</th><th>requests/s</th>"
		      "<th>errors</th><th>error rate</th><th>dropped</th><th>p50</th><th>p90</th>"
		      "<th>p99</th><th>p99.9</th><th>max</th></tr>\n<tr><td>");
	add_count(out, requests);
	strbuf_addstr(out, "</td><td>");
	add_rate(out, num(r, "rps", 0));
	strbuf_addstr(out, "</td><td>");
	add_count(out, num(json_object_get(r, "errors"), "total", 0));
	strbuf_addstr(out, "</td><td>");
	add_pct(out, num(r, "error_rate", 0));
	strbuf_addstr(out, "</td><td>");
	add_count(out, num(r, "dropped", 0));
	strbuf_addstr(out, "</td>");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		lat_cell(out, lat, keys[i], requests);
	strbuf_addstr(out, "</tr></table>\n");
	if (requests <= 0)
		note(out, "No responses were received, so there are no latencies.");
	error_table(out, r);
}

/* "ok": a cell that says pass or fail in words as well as colour. */
static void verdict_cell(struct strbuf *out, const json_t *ok)
{
	if (json_is_true(ok))
		strbuf_addstr(out, "<td class=\"l pass\">\xe2\x9c\x93 pass</td>");
	else if (json_is_false(ok))
		strbuf_addstr(out, "<td class=\"l fail\">\xe2\x9c\x97 FAIL</td>");
	else
		strbuf_addstr(out, "<td class=\"l unknown\">? not evaluated</td>");
}

static void threshold_row(struct strbuf *out, const json_t *t)
{
	const char *scenario = str(t, "scenario");

	strbuf_addstr(out, "<tr><td class=\"l\">");
	add_esc(out, scenario ? scenario : "all scenarios");
	strbuf_addstr(out, "</td><td class=\"l\"><code>");
	add_esc(out, str(t, "expr") ? str(t, "expr") : "?");
	strbuf_addstr(out, "</code></td><td>");
	add_esc(out, str(t, "observed") ? str(t, "observed") : DASH);
	strbuf_addstr(out, "</td>");
	verdict_cell(out, json_object_get(t, "ok"));
	strbuf_addstr(out, "</tr>\n");
}

static void thresholds(struct strbuf *out, const json_t *r)
{
	const json_t *th = json_object_get(r, "thresholds"), *ok = json_object_get(r, "ok");
	size_t n = json_array_size(th), failed = 0;

	strbuf_addstr(out, "<h2>Thresholds</h2>\n");
	if (!n) {
		note(out, "No thresholds were set.");
		return;
	}
	for (size_t i = 0; i < n; i++)
		failed += json_is_false(json_object_get(json_array_get(th, i), "ok"));
	if (!json_is_boolean(ok))
		ok = failed ? json_false() : json_true();
	strbuf_addf(out, "<p><span class=\"verdict %s\">%s</span> ",
		    json_is_true(ok) ? "pass" : "fail", json_is_true(ok) ? "PASS" : "FAIL");
	if (failed)
		strbuf_addf(out, "%zu of %zu thresholds failed.</p>\n", failed, n);
	else if (json_is_true(ok))
		strbuf_addf(out, "All %zu thresholds held.</p>\n", n);
	else
		strbuf_addstr(out, "The result is marked as failed.</p>\n");
	strbuf_addstr(out, "<table><tr><th class=\"l\">scenario</th><th class=\"l\">threshold</th>"
		      "<th>observed</th><th class=\"l\">result</th></tr>\n");
	for (size_t i = 0; i < n; i++)
		threshold_row(out, json_array_get(th, i));
	strbuf_addstr(out, "</table>\n");
}

/*
 * "timeout 3, 5xx 12", or "none"; 4xx and 5xx by status code when the
 * part counts them ("status_429 12"); whatever the kinds miss, as "other".
 */
static void add_error_kinds(struct strbuf *out, const json_t *part)
{
	const json_t *errs = json_object_get(part, "errors"), *codes = json_object_get(part, "status_codes");
	double sum = 0, total = num(errs, "total", 0);
	const char *code;
	json_t *v;
	int any = 0;

	for (int i = 0; i < NR_KINDS; i++) {
		double n = num(errs, kind_key[i], 0);

		if (n <= 0 || (i >= 4 && json_is_object(codes)))
			continue;
		strbuf_addf(out, "%s%s ", any++ ? ", " : "", kind_name[i]);
		add_count(out, n);
		sum += n;
	}
	json_object_foreach((json_t *)codes, code, v) {
		if ((code[0] != '4' && code[0] != '5') || !(fin(json_number_value(v)) > 0))
			continue;
		strbuf_addf(out, "%sstatus_", any++ ? ", " : "");
		add_esc(out, code);
		strbuf_addch(out, ' ');
		add_count(out, json_number_value(v));
		sum += fin(json_number_value(v));
	}
	if (total > sum) {
		strbuf_addf(out, "%sother ", any++ ? ", " : "");
		add_count(out, total - sum);
	}
	if (!any)
		strbuf_addstr(out, "none");
}

static void scenario_row(struct strbuf *out, const json_t *s, size_t i)
{
	const json_t *lat = json_object_get(s, "latency_us");
	double requests = num(s, "requests", 0);

	strbuf_addf(out, "<tr><td class=\"l\"><a href=\"#scenario-%zu\">", i + 1);
	add_esc(out, str(s, "name") ? str(s, "name") : "(unnamed)");
	strbuf_addstr(out, "</a></td><td class=\"l\">");
	add_esc(out, str(s, "model") ? str(s, "model") : DASH);
	strbuf_addstr(out, "</td><td>");
	add_count(out, num(s, "connections", 0));
	strbuf_addstr(out, "</td><td>");
	if (json_is_number(json_object_get(s, "target_rps")))
		add_rate(out, num(s, "target_rps", 0));
	else
		strbuf_addstr(out, DASH);
	strbuf_addstr(out, "</td><td>");
	add_rate(out, num(s, "rps", 0));
	strbuf_addstr(out, "</td><td class=\"l\">");
	add_error_kinds(out, s);
	strbuf_addstr(out, "</td><td>");
	add_count(out, num(s, "dropped", 0));
	strbuf_addstr(out, "</td>");
	lat_cell(out, lat, "p50", requests);
	lat_cell(out, lat, "p99", requests);
	lat_cell(out, lat, "max", requests);
	strbuf_addstr(out, "</tr>\n");
}

static void scenario_table(struct strbuf *out, const json_t *scenarios)
{
	size_t n = json_array_size(scenarios);

	if (!n)
		return;
	strbuf_addstr(out, "<h2>Scenarios</h2>\n<table><tr><th class=\"l\">scenario</th>"
		      "<th class=\"l\">model</th><th>connections</th><th>target req/s</th>"
		      "<th>achieved req/s</th><th class=\"l\">errors by kind</th><th>dropped</th>"
		      "<th>p50</th><th>p99</th><th>max</th></tr>\n");
	for (size_t i = 0; i < n; i++)
		scenario_row(out, json_array_get(scenarios, i), i);
	strbuf_addstr(out, "</table>\n");
}

/* The sum of the scenarios' planned rates, only when every one is open. */
static double overall_target(const json_t *scenarios)
{
	double sum = 0;

	for (size_t i = 0; i < json_array_size(scenarios); i++) {
		const json_t *s = json_array_get(scenarios, i);

		if (!json_is_number(json_object_get(s, "target_rps")))
			return 0;
		sum += num(s, "target_rps", 0);
	}
	return sum;
}

static void scenario_section(struct strbuf *out, const json_t *s, size_t i)
{
	const char *name = str(s, "name") ? str(s, "name") : "(unnamed)";
	const char *model = str(s, "model");

	strbuf_addf(out, "<section id=\"scenario-%zu\">\n<h2>Scenario ", i + 1);
	add_esc(out, name);
	strbuf_addstr(out, "</h2>\n<p class=\"meta\">");
	if (str(s, "method") || str(s, "path")) {
		add_esc(out, str(s, "method") ? str(s, "method") : "?");
		strbuf_addch(out, ' ');
		add_esc(out, str(s, "path") ? str(s, "path") : "?");
		strbuf_addstr(out, " \xc2\xb7 ");
	}
	add_esc(out, model ? model : "unknown");
	strbuf_addstr(out, " model");
	if (json_is_number(json_object_get(s, "target_rps"))) {
		strbuf_addstr(out, " at ");
		add_rate(out, num(s, "target_rps", 0));
		strbuf_addstr(out, " requests/s planned");
	}
	strbuf_addstr(out, " \xc2\xb7 ");
	add_count(out, num(s, "connections", 0));
	strbuf_addstr(out, num(s, "connections", 0) == 1 ? " connection, " : " connections, ");
	add_count(out, num(s, "threads", 0));
	strbuf_addstr(out, num(s, "threads", 0) == 1 ? " thread" : " threads");
	strbuf_addstr(out, " \xc2\xb7 ran ");
	add_secs(out, num(s, "duration_s", 0));
	strbuf_addstr(out, "</p>\n");
	plots(out, s, name, num(s, "target_rps", 0), NULL);
	strbuf_addstr(out, "</section>\n");
}

static void page_foot(struct strbuf *out, const json_t *r)
{
	strbuf_addstr(out, "<footer class=\"note\">\n<h2>Reading this report</h2>\n"
		"<p>Latency percentiles in the tables and the percentile plots come from the "
		"histogram of the whole run; the percentiles over time come from coarser "
		"per-second histograms (within " TIMELINE_ERROR ").</p>\n"
		"<p>In the open model, latency runs from each request's planned send time, "
		"not from when it went out, so a server that falls behind shows in the "
		"percentiles (coordinated omission corrected). The dashed line on the "
		"throughput plot is the rate it planned.</p>\n"
		"<p>The error rate counts transport errors, 4xx and 5xx responses and dropped "
		"sends against every attempt. Dropped sends are those an open-model scenario "
		"planned but could not make in time. Dropped requests and timeouts are "
		"recorded in the latencies at the time they had waited, a lower bound.</p>\n"
		"<p>On the percentile axis, 90% to 99% takes as much room as 0% to 90%, so the "
		"rare slow requests are as visible as the common ones.</p>\n<p>");
	add_esc(out, str(r, "format") ? str(r, "format") : "unknown format");
	if (str(r, "tool")) {
		strbuf_addstr(out, ", written by ");
		add_esc(out, str(r, "tool"));
	}
	strbuf_addstr(out, ".</p>\n</footer>\n</body></html>\n");
}

void report_html(struct strbuf *out, const json_t *result)
{
	const json_t *scenarios = json_object_get(result, "scenarios");
	size_t n = json_array_size(scenarios);

	page_head(out, result);
	summary(out, result);
	thresholds(out, result);
	scenario_table(out, scenarios);
	if (n != 1) {
		strbuf_addstr(out, n ? "<section id=\"overall\">\n<h2>All scenarios together</h2>\n"
				     : "<section id=\"overall\">\n<h2>Plots</h2>\n");
		plots(out, result, n ? "all scenarios" : NULL, overall_target(scenarios),
		      scenarios);
		strbuf_addstr(out, "</section>\n");
	}
	for (size_t i = 0; i < n; i++)
		scenario_section(out, json_array_get(scenarios, i), i);
	page_foot(out, result);
}
