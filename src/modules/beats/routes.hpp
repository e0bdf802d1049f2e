#pragma once
// The beats module's HTTP adapters: parse, call the service, serialise.
#include "modules/beats/intake.hpp"
#include "modules/beats/service.hpp"

namespace bb::http {
class Router;
}

namespace bb::beats {

void register_routes(http::Router& router, Service& service, UploadIntake& intake);

}  // namespace bb::beats
