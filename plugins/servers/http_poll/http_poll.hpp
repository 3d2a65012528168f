// server.http-poll as a part of another server model: server.mqtt-jobs serves its images over
// HTTPS with it when a job carries an image URL.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "otasim/result.hpp"
#include "otasim/server_model.hpp"

namespace otasim::servers {

// The same model the plugin registers, with these parameters (checked like a scenario's).
Result<std::unique_ptr<UpdateServerModel>> MakeHttpPoll(
    const std::map<std::string, std::string>& params = {});

}  // namespace otasim::servers
