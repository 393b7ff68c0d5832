// Bridges a SyncService completion (called on a store worker, or inline) to the
// awaiting coroutine: the result is posted back to the coroutine's own executor.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "primesync/sync_service.hpp"

namespace primesync::http {

// `start(completion)` begins the operation; the coroutine resumes with its outcome.
template <typename Response, typename Start>
boost::asio::awaitable<Outcome<Response>> await_completion(Start start) {
  auto executor = co_await boost::asio::this_coro::executor;
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(Outcome<Response>)>(
      [&start, executor](auto handler) {
        // std::function needs a copyable callable; the handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start(Completion<Response>([shared, executor](Outcome<Response> outcome) {
          boost::asio::post(executor, [shared, outcome = std::move(outcome)]() mutable {
            (*shared)(std::move(outcome));
          });
        }));
      },
      boost::asio::use_awaitable);
}

}  // namespace primesync::http
