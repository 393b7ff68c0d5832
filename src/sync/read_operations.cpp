#include <algorithm>

#include "sync/classify_check.hpp"
#include "sync/gates.hpp"
#include "sync/operations.hpp"

namespace primesync::sync {

Outcome<CheckResponse> answer_check(const UserStatePtr& state, const CheckRequest& request,
                                    Millis now) {
  if (auto failure = check_password_gate(state->user, request.pwd_hash)) {
    return *std::move(failure);
  }
  CheckResponse response = classify_check(*state, request);
  response.server_time = now;
  response.snapshot = state;
  return response;
}

Outcome<DownloadResponse> answer_download(const UserStatePtr& state, const DownloadRequest& request,
                                          std::size_t max_page_size) {
  if (auto failure = check_password_gate(state->user, request.pwd_hash)) {
    return *std::move(failure);
  }
  const auto& items = state->items.items();
  auto next = items.begin();
  if (request.after) {
    next = std::upper_bound(
        items.begin(), items.end(), *request.after,
        [](const std::string& key, const ItemPtr& item) { return key < item->key; });
  }
  auto selected = [&](const ItemPtr& item) { return request.include_deleted || !item->is_deleted; };
  for (std::size_t skipped = 0; next != items.end() && skipped < request.skip; ++next) {
    if (selected(*next)) ++skipped;
  }
  const std::size_t page =
      request.limit == 0 ? max_page_size : std::min(request.limit, max_page_size);
  DownloadResponse response;
  response.nonce = state->user.nonce;
  response.pwd_hash = state->user.pwd_hash;
  for (; next != items.end(); ++next) {
    if (!selected(*next)) continue;
    if (response.server_data.size() == page) {
      response.has_more = true;
      break;
    }
    response.server_data.push_back(next->get());
  }
  response.snapshot = state;
  return response;
}

}  // namespace primesync::sync
