#include "push/engine_error_response.hpp"

#include <boost/beast/http/field.hpp>

namespace primesync::push {

http::Response engine_error_response(const http::Request& request, EngineError error) {
  namespace beast_http = boost::beast::http;
  http::Response response{error == EngineError::forbidden ? beast_http::status::forbidden
                                                          : beast_http::status::bad_request,
                          request.version()};
  response.set(beast_http::field::content_type, "application/json");
  response.set(beast_http::field::cache_control, "no-store");
  response.body() = encode_engine_error(error);
  return response;
}

}  // namespace primesync::push
