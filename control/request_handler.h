#pragma once
// What the server does with a decoded request, through the narrow SupervisorApi. Every
// kind but wait is answered at once; wait lives in control/wait_request.h.

#include "control/protocol.h"
#include "services/supervisor_api.h"

namespace svinit::control {

// Answers status, command, shutdown and check requests. Each listed service is handled
// on its own: an unknown name fails only its own result, under the name as given.
Response handle_request(services::SupervisorApi& api, const Request& request);

// A response carrying only an error, for the request as a whole.
Response error_response(ErrorCode code, std::string message);

}  // namespace svinit::control
