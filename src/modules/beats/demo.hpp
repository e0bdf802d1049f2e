#pragma once
// The demo catalogue: producers and beats synthesised by FFmpeg, processed like uploads.
#include "modules/beats/service.hpp"

namespace bb::beats {

core::Result<int> create_demo_catalogue(Service& service, users::UsersModule& users, const MediaClient& media,
                                        const Storage& storage, int count);

}  // namespace bb::beats
