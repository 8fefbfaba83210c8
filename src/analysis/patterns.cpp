// Patterns: the flagged copies of a selection grouped by what repeats in a
// loop (thread, stream, cause, blocker kind and name: Analysis::pattern_keys,
// filled by analyze()), with totals and the most-held copies of each.

#include <algorithm>
#include <map>
#include <unordered_map>

#include "holdup/analysis.h"

namespace holdup::analysis {

namespace {

// Keeps the `limit` most-held copies seen, most held first (ties: earlier
// copy first), without holding every copy of the pattern.
void keep_worst(const Analysis& a, std::vector<uint32_t>* worst, uint32_t index, size_t limit) {
  if (limit == 0) return;
  const auto more_held = [&a](uint32_t x, uint32_t y) {
    const TimeNs hx = a.copies[x].split.held, hy = a.copies[y].split.held;
    return hx != hy ? hx > hy : x < y;
  };
  if (worst->size() == limit && !more_held(index, worst->back())) return;
  worst->insert(std::upper_bound(worst->begin(), worst->end(), index, more_held), index);
  if (worst->size() > limit) worst->pop_back();
}

}  // namespace

std::vector<Pattern> find_patterns(const Analysis& a, const std::vector<uint32_t>& selection, size_t worst) {
  // By pattern index first (no key compared per copy) ...
  std::unordered_map<uint32_t, Pattern> by_index;
  for (uint32_t index : selection) {
    if (index >= a.copies.size()) continue;
    const CopyVerdict& v = a.copies[index];
    if (!v.flagged() || v.pattern == kNone || v.pattern >= a.pattern_keys.size()) continue;
    Pattern& p = by_index[v.pattern];
    ++p.copies;
    p.held_ns += v.split.held;
    p.max_held_ns = std::max(p.max_held_ns, v.split.held);
    keep_worst(a, &p.worst, index, worst);
  }
  // ... then by key, should two indexes carry the same key.
  std::map<PatternKey, Pattern> by_key;
  for (auto& [pattern, p] : by_index) {
    const PatternKey& key = a.pattern_keys[pattern];
    auto [it, fresh] = by_key.try_emplace(key);
    Pattern& merged = it->second;
    if (fresh) {
      merged = std::move(p);
      merged.key = key;
      continue;
    }
    merged.copies += p.copies;
    merged.held_ns += p.held_ns;
    merged.max_held_ns = std::max(merged.max_held_ns, p.max_held_ns);
    for (uint32_t index : p.worst) keep_worst(a, &merged.worst, index, worst);
  }
  std::vector<Pattern> out;
  out.reserve(by_key.size());
  for (auto& [key, p] : by_key) out.push_back(std::move(p));
  // by_key is in key order: a stable sort leaves ties in key order.
  std::stable_sort(out.begin(), out.end(), [](const Pattern& x, const Pattern& y) {
    if (x.held_ns != y.held_ns) return x.held_ns > y.held_ns;
    return x.copies > y.copies;
  });
  return out;
}

}  // namespace holdup::analysis
