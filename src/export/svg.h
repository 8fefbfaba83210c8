#pragma once
// Small SVG drawings for the HTML report, written as text: a builder for
// shapes and labels, bar charts for the delay histograms, a stacked bar for
// a copy's split, and a lane chart for a copy's timeline. Everything is
// drawn in the page (no script, no network).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"

namespace holdup::exporting::svg {

// Text for HTML and SVG: & < > " ' escaped.
std::string escape(std::string_view text);

class Canvas {
 public:
  Canvas(double width, double height, std::string_view label);
  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view extra = {});
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, std::string_view extra = {});
  // anchor: "start", "middle", "end".
  void text(double x, double y, std::string_view text, std::string_view anchor = "start", double size = 12,
            std::string_view extra = {});
  // A <title> tooltip around the next shapes: begin_group(title) ... end_group().
  void begin_group(std::string_view title);
  void end_group();
  std::string finish();

 private:
  std::string out_;
};

// A bar per non-empty bucket (from the first to the last), counts on top.
std::string histogram(const report::Stats& stats, std::string_view title, std::string_view color);

// One stacked bar: issue-to-start split into its parts, with a legend.
struct Part {
  std::string name;
  uint64_t ns = 0;
  std::string color;
};
std::string stacked_bar(const std::vector<Part>& parts, double width);

// A copy's timeline: lanes of boxes over a time window, a shaded interval
// and vertical marks.
struct Box {
  uint64_t start = 0, end = 0;
  std::string label;    // drawn inside when it fits
  std::string tooltip;  // <title>
  std::string color;
};
struct Lane {
  std::string label;
  std::string sublabel;
  std::vector<Box> boxes;
};
struct Mark {
  uint64_t at = 0;
  std::string label;
};
struct Timeline {
  uint64_t from = 0, to = 0;     // the window drawn
  uint64_t origin = 0;           // axis labels count from here ("+1.2 ms")
  uint64_t shade_from = 0, shade_to = 0;
  std::string shade_label;
  std::vector<Lane> lanes;
  std::vector<Mark> marks;
};
std::string timeline(const Timeline& t, double width);

}  // namespace holdup::exporting::svg
