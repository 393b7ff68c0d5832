// librdkafka's own log lines would not be JSON: the producer and the consumer send
// them through the server's logger.
#pragma once

#include <librdkafka/rdkafka.h>

namespace primesync {

void forward_kafka_log(rd_kafka_conf_t* conf);

}  // namespace primesync
