#include "primesync/sync_service.hpp"

#include "cache/user_state_cache.hpp"
#include "notify/outbox_dispatcher.hpp"
#include "store/history_pruner.hpp"
#include "store/write_queue.hpp"
#include "sync/gates.hpp"
#include "sync/operations.hpp"

namespace primesync {

namespace {
constexpr std::size_t message_id_bytes = 16;
}  // namespace

struct SyncService::Impl {
  Impl(const Config& config, Store& store, std::vector<Notifier*> notifiers,
       ServiceEnvironment environment)
      : config(config),
        store(store),
        environment(std::move(environment)),
        notifications(
            sync::NotificationCodec{
                this->environment.encode_notification, this->environment.notification_item_size,
                [this] { return this->environment.random_hex(message_id_bytes); }},
            config.limits.max_message_bytes),
        cache(config.cache),
        dispatcher(config.outbox, store, std::move(notifiers), this->environment.now),
        queue(config.queue, store, cache, [this] { dispatcher.wake(); }),
        pruner(store, config.outbox.history_retention, this->environment.now) {
    dispatcher.start();
  }

  [[nodiscard]] sync::OperationContext context(const Caller& caller) const {
    return sync::OperationContext{caller, environment.now(), config, notifications,
                                  environment.random_hex};
  }

  [[nodiscard]] std::optional<Failure> prime_gate(const Caller& caller, bool sync_path) const {
    if (!sync_path) return std::nullopt;
    return sync::check_prime_gate(config.auth.require_prime,
                                  caller.prime.value_or(config.auth.default_prime));
  }

  // Runs a write operation in the user's shard. `plan` runs on the shard worker
  // against the newest state; `done` gets its answer once the writes are durable.
  // `plan` may run more than once (the queue plans again when another instance
  // wrote first), so it must not use up its request: it plans from a copy.
  template <typename Response, typename PlanFn>
  void write(const Caller& caller, bool sync_path, PlanFn plan, Completion<Response> done) {
    auto answer = std::make_shared<std::optional<Response>>();
    auto planner = [this, caller, sync_path, plan = std::move(plan), answer](
                       const UserState& state, WriteSet& writes) mutable -> std::optional<Failure> {
      const auto operation = context(caller);
      sync::record_caller(state, operation, writes);
      if (auto failure = prime_gate(caller, sync_path)) return failure;
      Outcome<Response> outcome = plan(state, operation, writes);
      if (!outcome) return std::move(outcome).failure();
      *answer = std::move(outcome).value();
      return std::nullopt;
    };
    auto finish = [answer, done](Outcome<UserStatePtr> committed) {
      if (!committed) return done(std::move(committed).failure());
      done(std::move(**answer));
    };
    if (!queue.submit(caller.user_id, std::move(planner), std::move(finish))) done(overloaded());
  }

  // Answers a read from the cached state when there is one (inline, no I/O);
  // otherwise loads it in the user's shard. Either way the caller's housekeeping
  // (first sight, device last-seen) is recorded in the shard. On a store that
  // other processes write to, a cached state is only trusted once the store
  // confirms its revision, so every read goes through the shard (which does that,
  // and loads the user again when another instance has moved on).
  template <typename Response, typename AnswerFn>
  void read(const Caller& caller, bool sync_path, AnswerFn answer, Completion<Response> done) {
    if (UserStatePtr cached = shared_store ? nullptr : queue_cache_lookup(caller)) {
      if (auto failure = prime_gate(caller, sync_path)) return done(*std::move(failure));
      return done(answer(cached));
    }
    auto finish = [this, caller, sync_path, answer = std::move(answer),
                   done](Outcome<UserStatePtr> committed) mutable {
      if (!committed) return done(std::move(committed).failure());
      if (auto failure = prime_gate(caller, sync_path)) return done(*std::move(failure));
      done(answer(committed.value()));
    };
    if (!queue.submit(caller.user_id, record_only(caller), std::move(finish))) done(overloaded());
  }

  // A plan that records the caller and nothing else.
  WriteQueue::Plan record_only(const Caller& caller) {
    return [this, caller](const UserState& state, WriteSet& writes) {
      sync::record_caller(state, context(caller), writes);
      return std::optional<Failure>{};
    };
  }

  // The cached state if the caller needs nothing recorded; when it does, the
  // recording is queued (not awaited) and the cached state still answers.
  UserStatePtr queue_cache_lookup(const Caller& caller) {
    UserStatePtr cached = cache.get(caller.user_id);
    if (!cached) return nullptr;
    WriteSet writes;
    sync::record_caller(*cached, context(caller), writes);
    if (!writes.empty()) {
      // Best effort: if the queue is full, the next request records it.
      (void)queue.submit(caller.user_id, record_only(caller), [](Outcome<UserStatePtr>) {});
    }
    return cached;
  }

  [[nodiscard]] Failure overloaded() const {
    return fail(Error::unavailable, "the store queue is full, retry later");
  }

  Config config;
  Store& store;
  const bool shared_store = store.shared();
  ServiceEnvironment environment;
  sync::NotificationBuilder notifications;
  UserStateCache cache;
  OutboxDispatcher dispatcher;
  WriteQueue queue;
  HistoryPruner pruner;
};

SyncService::SyncService(const Config& config, Store& store, std::vector<Notifier*> notifiers,
                         ServiceEnvironment environment)
    : impl_(std::make_unique<Impl>(config, store, std::move(notifiers), std::move(environment))) {}

SyncService::~SyncService() {
  shutdown();
}

void SyncService::check(const Caller& caller, CheckRequest request,
                        Completion<CheckResponse> done) {
  auto answer = [this, request = std::move(request)](const UserStatePtr& state) {
    return sync::answer_check(state, request, impl_->environment.now());
  };
  impl_->read<CheckResponse>(caller, true, std::move(answer), std::move(done));
}

void SyncService::download(const Caller& caller, DownloadRequest request,
                           Completion<DownloadResponse> done) {
  auto answer = [this, request = std::move(request)](const UserStatePtr& state) {
    return sync::answer_download(state, request, impl_->config.limits.max_page_size);
  };
  impl_->read<DownloadResponse>(caller, true, std::move(answer), std::move(done));
}

void SyncService::get_lock(const Caller& caller, Completion<LockResponse> done) {
  auto answer = [](const UserStatePtr& state) -> Outcome<LockResponse> {
    return sync::answer_get_lock(*state);
  };
  impl_->read<LockResponse>(caller, true, answer, std::move(done));
}

void SyncService::user_info(const Caller& caller, Completion<UserInfoResponse> done) {
  auto answer = [](const UserStatePtr& state) -> Outcome<UserInfoResponse> {
    return sync::answer_user_info(*state);
  };
  impl_->read<UserInfoResponse>(caller, false, answer, std::move(done));
}

void SyncService::devices(const Caller& caller, Completion<DevicesResponse> done) {
  auto answer = [](const UserStatePtr& state) -> Outcome<DevicesResponse> {
    return sync::answer_devices(*state);
  };
  impl_->read<DevicesResponse>(caller, false, answer, std::move(done));
}

void SyncService::upload(const Caller& caller, UploadRequest request,
                         Completion<WriteResponse> done) {
  auto plan = [request = std::move(request)](
                  const UserState& state, const sync::OperationContext& context, WriteSet& writes) {
    return sync::plan_upload(state, request, context, writes);  // a copy: see write()
  };
  impl_->write<WriteResponse>(caller, true, std::move(plan), std::move(done));
}

void SyncService::flush(const Caller& caller, FlushRequest request,
                        Completion<WriteResponse> done) {
  auto plan = [request = std::move(request)](
                  const UserState& state, const sync::OperationContext& context, WriteSet& writes) {
    return sync::plan_flush(state, request, context, writes);  // a copy: see write()
  };
  impl_->write<WriteResponse>(caller, true, std::move(plan), std::move(done));
}

void SyncService::change_lock(const Caller& caller, ChangeLockRequest request,
                              Completion<ChangeLockResponse> done) {
  auto plan = [request = std::move(request)](
                  const UserState& state, const sync::OperationContext& context, WriteSet& writes) {
    return sync::plan_change_lock(state, request, context, writes);  // a copy: see write()
  };
  impl_->write<ChangeLockResponse>(caller, true, std::move(plan), std::move(done));
}

void SyncService::login(const Caller& caller, Completion<LoginResponse> done) {
  auto plan = [](const UserState& state, const sync::OperationContext& context, WriteSet& writes) {
    return sync::plan_login(state, context, writes);
  };
  impl_->write<LoginResponse>(caller, false, plan, std::move(done));
}

void SyncService::logout(const Caller& caller, Completion<EmptyResponse> done) {
  auto plan = [](const UserState& state, const sync::OperationContext& context, WriteSet& writes) {
    return sync::plan_forget_device(state, context.caller.instance_id, writes);
  };
  impl_->write<EmptyResponse>(caller, false, plan, std::move(done));
}

void SyncService::remove_device(const Caller& caller, std::string instance_id,
                                Completion<EmptyResponse> done) {
  auto plan = [instance_id = std::move(instance_id)](
                  const UserState& state, const sync::OperationContext&, WriteSet& writes) {
    return sync::plan_forget_device(state, instance_id, writes);
  };
  impl_->write<EmptyResponse>(caller, false, std::move(plan), std::move(done));
}

void SyncService::export_user(std::string user_id, Completion<UserStatePtr> done) {
  auto read_only = [](const UserState&, WriteSet&) { return std::optional<Failure>{}; };
  auto finish = [user_id, done](Outcome<UserStatePtr> committed) {
    if (committed && !committed.value()->exists) {
      return done(fail(Error::not_found, "user '" + user_id + "' is not stored"));
    }
    done(std::move(committed));
  };
  if (!impl_->queue.submit(user_id, read_only, std::move(finish))) done(impl_->overloaded());
}

void SyncService::delete_user(std::string user_id, Completion<DeleteUserResponse> done) {
  auto answer = std::make_shared<DeleteUserResponse>();
  auto plan = [answer](const UserState& state, WriteSet& writes) {
    *answer = sync::plan_delete_user(state, writes);
    return std::optional<Failure>{};
  };
  auto finish = [answer, done](Outcome<UserStatePtr> committed) {
    if (!committed) return done(std::move(committed).failure());
    done(std::move(*answer));
  };
  if (!impl_->queue.submit(user_id, plan, std::move(finish))) done(impl_->overloaded());
}

ServiceStats SyncService::stats() const {
  const auto cache = impl_->cache.stats();
  const auto queue = impl_->queue.stats();
  const auto outbox = impl_->dispatcher.stats();
  return ServiceStats{
      cache.hits,           cache.misses,   cache.evictions, cache.bytes,
      cache.entries,        queue.depth,    queue.rejected,  queue.batches,
      queue.batched_writes, queue.failures, outbox.pending,  outbox.delivered,
      outbox.failures,      outbox.dropped, queue.conflicts, queue.conflict_failures};
}

bool SyncService::ready() const {
  return impl_->store.ready();
}

void SyncService::shutdown() {
  impl_->queue.stop();
  impl_->pruner.stop();
  impl_->dispatcher.stop(impl_->config.server.shutdown_timeout);
}

}  // namespace primesync
