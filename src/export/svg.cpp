// SVG drawing for the HTML report (see svg.h).

#include "svg.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace holdup::exporting::svg {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Canvas::Canvas(double width, double height, std::string_view label) {
  out_ = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "role=\"img\" aria-label=\"{2}\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\">",
      width, height, escape(label));
}

void Canvas::rect(double x, double y, double w, double h, std::string_view fill, std::string_view extra) {
  out_ += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" {}/>", x, y,
                      std::max(w, 0.0), std::max(h, 0.0), fill, extra);
}

void Canvas::line(double x1, double y1, double x2, double y2, std::string_view stroke, std::string_view extra) {
  out_ += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" {}/>", x1, y1, x2,
                      y2, stroke, extra);
}

void Canvas::text(double x, double y, std::string_view text, std::string_view anchor, double size,
                  std::string_view extra) {
  out_ += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{}\" text-anchor=\"{}\" {}>{}</text>", x, y, size,
                      anchor, extra, escape(text));
}

void Canvas::begin_group(std::string_view title) { out_ += "<g><title>" + escape(title) + "</title>"; }

void Canvas::end_group() { out_ += "</g>"; }

std::string Canvas::finish() { return out_ + "</svg>"; }

namespace {

std::string short_duration(uint64_t ns) {
  if (ns == 0) return "0";
  if (ns >= 1'000'000'000) return fmt::format("{:.3g} s", ns / 1e9);
  if (ns >= 1'000'000) return fmt::format("{:.3g} ms", ns / 1e6);
  if (ns >= 1'000) return fmt::format("{:.3g} us", ns / 1e3);
  return fmt::format("{} ns", ns);
}

// About `width / 7` characters fit in `width` pixels at 12 px.
std::string fit(std::string_view text, double width, double char_px = 6.6) {
  const auto chars = static_cast<size_t>(std::max(0.0, width / char_px));
  if (text.size() <= chars) return std::string(text);
  if (chars < 4) return {};
  return std::string(text.substr(0, chars - 1)) + "\u2026";
}

// A step of 1, 2 or 5 x 10^k giving about `n` ticks over `span`.
double nice_step(double span, int n) {
  const double raw = span / n;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

}  // namespace

std::string histogram(const report::Stats& s, std::string_view title, std::string_view color) {
  int first = report::kBuckets, last = -1;
  uint64_t peak = 0;
  for (int i = 0; i < report::kBuckets; ++i) {
    if (!s.buckets[i]) continue;
    first = std::min(first, i);
    last = i;
    peak = std::max(peak, s.buckets[i]);
  }
  const double bar = 46, gap = 8, left = 44, top = 44, plot = 120, bottom = 58;
  const int n = last >= first ? last - first + 1 : 1;
  const double width = std::max(260.0, left + 16 + n * (bar + gap));
  Canvas c(width, top + plot + bottom, title);
  c.text(8, 18, title, "start", 13, "font-weight=\"600\" fill=\"#222\"");
  c.line(left, top + plot, width - 8, top + plot, "#999");
  if (last < 0) {
    c.text(left, top + plot / 2, "no copies", "start", 12, "fill=\"#777\"");
    return c.finish();
  }
  for (int i = first; i <= last; ++i) {
    const double x = left + (i - first) * (bar + gap);
    const double h = peak ? plot * static_cast<double>(s.buckets[i]) / static_cast<double>(peak) : 0;
    c.begin_group(fmt::format("{}: {} cop{}", report::bucket_label(i), s.buckets[i], s.buckets[i] == 1 ? "y" : "ies"));
    c.rect(x, top + plot - std::max(h, s.buckets[i] ? 1.0 : 0.0), bar, std::max(h, s.buckets[i] ? 1.0 : 0.0), color,
           "rx=\"2\"");
    if (s.buckets[i]) c.text(x + bar / 2, top + plot - h - 4, std::to_string(s.buckets[i]), "middle", 11, "fill=\"#333\"");
    c.end_group();
    c.text(x + bar / 2, top + plot + 14, report::bucket_label(i), "end", 10,
           fmt::format("fill=\"#444\" transform=\"rotate(-35 {:.1f} {:.1f})\"", x + bar / 2, top + plot + 14));
  }
  return c.finish();
}

std::string stacked_bar(const std::vector<Part>& parts, double width) {
  uint64_t total = 0;
  for (const auto& p : parts) total += p.ns;
  const double height = 20, legend = 22;
  Canvas c(width, height + legend + 4, "issue-to-start split");
  double x = 0;
  for (const auto& p : parts) {
    if (!p.ns || !total) continue;
    const double w = width * static_cast<double>(p.ns) / static_cast<double>(total);
    c.begin_group(fmt::format("{}: {}", p.name, short_duration(p.ns)));
    c.rect(x, 0, std::max(w, 1.0), height, p.color);
    if (w > 70) c.text(x + 4, 14, fit(p.name + " " + short_duration(p.ns), w - 6), "start", 11, "fill=\"#fff\"");
    c.end_group();
    x += w;
  }
  double lx = 0;
  for (const auto& p : parts) {
    c.rect(lx, height + 10, 10, 10, p.color);
    const std::string label = fmt::format("{} {}", p.name, short_duration(p.ns));
    c.text(lx + 14, height + 19, label, "start", 11, "fill=\"#333\"");
    lx += 24 + 6.2 * static_cast<double>(label.size());
  }
  return c.finish();
}

std::string timeline(const Timeline& t, double width) {
  const double label_w = 230, right = 16, lane_h = 30, top = 24, axis = 30;
  const double plot_w = width - label_w - right;
  const double height = top + lane_h * static_cast<double>(t.lanes.size()) + axis;
  const double span = t.to > t.from ? static_cast<double>(t.to - t.from) : 1.0;
  auto x_of = [&](uint64_t at) {
    const double v = at <= t.from ? 0.0 : at >= t.to ? plot_w : static_cast<double>(at - t.from) / span * plot_w;
    return label_w + v;
  };
  Canvas c(width, height, "copy timeline");
  // Lanes: alternating backgrounds, labels on the left.
  for (size_t i = 0; i < t.lanes.size(); ++i) {
    const double y = top + lane_h * static_cast<double>(i);
    c.rect(label_w, y, plot_w, lane_h, i % 2 ? "#fafafa" : "#f2f4f7");
    c.text(label_w - 8, y + (t.lanes[i].sublabel.empty() ? 19 : 13), fit(t.lanes[i].label, label_w - 12), "end", 12,
           "fill=\"#222\"");
    if (!t.lanes[i].sublabel.empty()) {
      c.text(label_w - 8, y + 25, fit(t.lanes[i].sublabel, label_w - 12, 6.0), "end", 10, "fill=\"#666\"");
    }
  }
  // The held interval, shaded over every lane.
  if (t.shade_to > t.shade_from) {
    const double x0 = x_of(t.shade_from), x1 = x_of(t.shade_to);
    c.rect(x0, top, std::max(x1 - x0, 1.0), lane_h * static_cast<double>(t.lanes.size()), "#e45756",
           "fill-opacity=\"0.13\"");
    c.line(x0, top, x0, top + lane_h * static_cast<double>(t.lanes.size()), "#e45756", "stroke-dasharray=\"3 2\"");
    c.line(x1, top, x1, top + lane_h * static_cast<double>(t.lanes.size()), "#e45756", "stroke-dasharray=\"3 2\"");
    c.text((x0 + x1) / 2, top - 8, t.shade_label, "middle", 12, "fill=\"#c0392b\" font-weight=\"600\"");
  }
  // Boxes, in lane order; a label goes inside its box when it fits, else
  // beside it where it covers no other box or label, else only in the
  // tooltip.
  for (size_t i = 0; i < t.lanes.size(); ++i) {
    const double y = top + lane_h * static_cast<double>(i) + 5;
    struct Span {
      double x0, x1;
    };
    std::vector<Span> taken;
    for (const auto& b : t.lanes[i].boxes) {
      if (b.end < t.from || b.start > t.to) continue;
      const double x0 = x_of(b.start);
      taken.push_back({x0, x0 + std::max(x_of(std::max(b.end, b.start)) - x0, 2.0)});
    }
    auto free = [&](double x0, double x1, size_t self) {
      if (x0 < label_w || x1 > label_w + plot_w) return false;
      for (size_t k = 0; k < taken.size(); ++k) {
        if (k != self && x0 < taken[k].x1 + 2 && taken[k].x0 - 2 < x1) return false;
      }
      return true;
    };
    size_t n = 0;
    for (const auto& b : t.lanes[i].boxes) {
      if (b.end < t.from || b.start > t.to) continue;
      const size_t self = n++;
      const double x0 = taken[self].x0, x1 = taken[self].x1, w = x1 - x0;
      c.begin_group(b.tooltip.empty() ? b.label : b.tooltip);
      c.rect(x0, y, w, lane_h - 10, b.color, "rx=\"2\"");
      const std::string inside = fit(b.label, w - 8);
      const double outside = 6.2 * static_cast<double>(b.label.size());
      if (!inside.empty() && (inside == b.label || outside + 8 > plot_w / 3)) {
        c.text(x0 + 4, y + 14, inside, "start", 11, "fill=\"#fff\"");
      } else if (free(x1 + 4, x1 + 4 + outside, self)) {
        c.text(x1 + 4, y + 14, b.label, "start", 11, "fill=\"#333\"");
        taken.push_back({x1 + 4, x1 + 4 + outside});
      } else if (free(x0 - 4 - outside, x0 - 4, self)) {
        c.text(x0 - 4, y + 14, b.label, "end", 11, "fill=\"#333\"");
        taken.push_back({x0 - 4 - outside, x0 - 4});
      } else if (!inside.empty()) {
        c.text(x0 + 4, y + 14, inside, "start", 11, "fill=\"#fff\"");
      }
      c.end_group();
    }
  }
  // Marks and axis.
  const double axis_y = top + lane_h * static_cast<double>(t.lanes.size());
  c.line(label_w, axis_y, label_w + plot_w, axis_y, "#888");
  const double step = nice_step(span, 6);
  const double origin_offset = static_cast<double>(t.origin) - static_cast<double>(t.from);
  // Ticks at multiples of `step` from the origin.
  const double first_tick = std::ceil(-origin_offset / step) * step + origin_offset;
  for (double at = first_tick; at <= span + 1e-9; at += step) {
    const double x = label_w + at / span * plot_w;
    c.line(x, axis_y, x, axis_y + 4, "#888");
    const double rel = at - origin_offset;
    const std::string text =
        std::abs(rel) < step / 1000 ? "0" : (rel > 0 ? "+" : "-") + short_duration(static_cast<uint64_t>(std::abs(rel)));
    c.text(x, axis_y + 16, text, "middle", 10, "fill=\"#555\"");
  }
  for (const auto& m : t.marks) {
    if (m.at < t.from || m.at > t.to) continue;
    const double x = x_of(m.at);
    c.line(x, top - 2, x, axis_y, "#333", "stroke-width=\"1\" stroke-dasharray=\"2 3\"");
    c.text(x, top - 8 - (m.label.empty() ? 0 : 0), m.label, "middle", 11, "fill=\"#333\"");
  }
  return c.finish();
}

}  // namespace holdup::exporting::svg
