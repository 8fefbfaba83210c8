// Interned strings: one copy of each distinct name, records keep an index.

#include "holdup/analysis_model.h"

namespace holdup::analysis {

StringPool::StringPool() = default;

uint32_t StringPool::intern(std::string_view value) {
  if (auto it = index_.find(value); it != index_.end()) return it->second;
  const auto index = static_cast<uint32_t>(values_.size());
  values_.emplace_back(value);
  index_.emplace(values_.back(), index);
  return index;
}

uint32_t StringPool::placeholder(std::string_view value) {
  // Not entered in index_: set() gives the slot its real value later.
  const auto index = static_cast<uint32_t>(values_.size());
  values_.emplace_back(value);
  return index;
}

void StringPool::set(uint32_t index, std::string_view value) {
  if (index >= values_.size()) return;
  // index_'s keys view the values: this slot's must go before it changes.
  if (auto it = index_.find(values_[index]); it != index_.end() && it->second == index) index_.erase(it);
  values_[index].assign(value);
  index_.try_emplace(values_[index], index);
}

std::string_view StringPool::view(uint32_t index) const {
  return index < values_.size() ? std::string_view(values_[index]) : std::string_view{};
}

}  // namespace holdup::analysis
