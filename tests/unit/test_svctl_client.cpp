// ControlClient against a real unix socket served by a thread of the test.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/unique_fd.h"
#include "svctl/client.h"

using namespace std::chrono_literals;
using svinit::control::Request;
using svinit::control::RequestKind;
using svinit::control::Response;
using svinit::core::UniqueFd;
using svinit::svctl::ControlClient;

namespace {

// A listening socket in a fresh temp dir, and one thread that serves `connections`
// connections, one after the other, with `serve(fd)`.
class TestServer {
public:
    explicit TestServer(std::function<void(int fd)> serve, int connections = 1) {
        char dir[] = "/tmp/svctl-test-XXXXXX";
        REQUIRE(::mkdtemp(dir) != nullptr);
        dir_ = dir;
        path_ = dir_ + "/control.sock";
        listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(listener_);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path_.c_str(), path_.size());
        REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) ==
                0);
        REQUIRE(::listen(listener_.get(), 4) == 0);
        thread_ = std::thread([this, connections, serve = std::move(serve)] {
            for (int i = 0; i < connections; ++i) {
                UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                if (connection) serve(connection.get());
            }
        });
    }
    ~TestServer() {
        thread_.join();
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }
    const std::string& path() const { return path_; }

private:
    std::string dir_;
    std::string path_;
    UniqueFd listener_;
    std::thread thread_;
};

// Reads up to and including '\n'; empty at EOF.
std::string read_line(int fd) {
    std::string line;
    char c = 0;
    while (::read(fd, &c, 1) == 1) {
        line += c;
        if (c == '\n') break;
    }
    return line;
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return;  // the client went away
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Blocks until the client closes its end.
void wait_for_close(int fd) {
    char c = 0;
    while (::read(fd, &c, 1) > 0) {
    }
}

Request status_of(std::string name) {
    Request request;
    request.kind = RequestKind::Status;
    request.services.push_back(std::move(name));
    return request;
}

}  // namespace

TEST_CASE("client: one line out, one line back, on one connection", "[svctl]") {
    std::vector<Request> seen;
    auto server = std::make_unique<TestServer>([&](int fd) {
        // No Catch assertions on this thread: it records, the test checks.
        for (int i = 0; i < 2; ++i) {
            std::string line = read_line(fd);
            if (!line.ends_with('\n')) return;
            auto request = svinit::control::decode_request(line.substr(0, line.size() - 1));
            if (!request || request->services.empty()) return;
            seen.push_back(*request);
            Response response;
            response.results.push_back(
                {request->services[0], svinit::control::ErrorCode::None, "", std::nullopt});
            std::string answer = svinit::control::encode_response(response) + "\n";
            // In two pieces, to exercise reassembly.
            write_all(fd, answer.substr(0, 5));
            write_all(fd, answer.substr(5));
        }
    });
    {
        ControlClient client(server->path());
        auto first = client.exchange(status_of("web"), 5s);
        REQUIRE(first);
        CHECK(first->results.at(0).service == "web");
        auto second = client.exchange(status_of("db"), std::nullopt);
        REQUIRE(second);
        CHECK(second->results.at(0).service == "db");
    }
    server.reset();  // joins the thread: `seen` is ours now
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == status_of("web"));
}

TEST_CASE("client: busy is asked again a few times, then it is the answer", "[svctl]") {
    Response busy_response;
    busy_response.error = svinit::control::ErrorCode::Busy;
    busy_response.message = "all 64 connections are in use";
    const std::string busy = svinit::control::encode_response(busy_response) + "\n";
    const std::string ok = svinit::control::encode_response(Response{}) + "\n";
    Request request;
    request.kind = RequestKind::Status;
    SECTION("busy twice, then served: the caller sees only the answer") {
        int served = 0;
        TestServer server(
            [&](int fd) {
                // Busy is sent as the client connects, whatever it sends.
                if (++served <= 2) {
                    write_all(fd, busy);
                    return;
                }
                (void)read_line(fd);
                write_all(fd, ok);
            },
            3);
        ControlClient client(server.path());
        auto response = client.exchange(request, 5s);
        REQUIRE(response);
        CHECK(response->ok());
        CHECK(served == 3);
    }
    SECTION("busy every time: busy after the last retry") {
        int served = 0;
        TestServer server(
            [&](int fd) {
                ++served;
                write_all(fd, busy);
            },
            1 + svinit::svctl::kBusyRetries);
        ControlClient client(server.path());
        auto response = client.exchange(request, 5s);
        REQUIRE(response);
        CHECK(response->error == svinit::control::ErrorCode::Busy);
        CHECK(response->message == "all 64 connections are in use");
        CHECK(served == 1 + svinit::svctl::kBusyRetries);
    }
}

TEST_CASE("client: no socket means cannot reach, naming the socket", "[svctl]") {
    ControlClient client("/nonexistent/svinit.sock");
    auto response = client.exchange(status_of("web"), 1s);
    REQUIRE_FALSE(response);
    CHECK(response.error().code == ENOENT);
    CHECK(response.error().message() ==
          "cannot reach svinit at /nonexistent/svinit.sock: No such file or directory");

    ControlClient too_long(std::string(200, 'x'));
    auto refused = too_long.exchange(status_of("web"), 1s);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ENAMETOOLONG);
}

TEST_CASE("client: an answer that does not come in time", "[svctl]") {
    TestServer server([](int fd) {
        (void)read_line(fd);
        wait_for_close(fd);  // never answers
    });
    ControlClient client(server.path());
    auto response = client.exchange(status_of("web"), 20ms);
    REQUIRE_FALSE(response);
    CHECK(response.error().code == 0);
    CHECK(response.error().message() ==
          "no answer from svinit at " + server.path() + " within 20ms");
}

TEST_CASE("client: a connection closed without an answer", "[svctl]") {
    TestServer server([](int fd) { (void)read_line(fd); });
    ControlClient client(server.path());
    auto response = client.exchange(status_of("web"), 5s);
    REQUIRE_FALSE(response);
    CHECK(response.error().message() ==
          "svinit at " + server.path() + " closed the connection without an answer");
}

TEST_CASE("client: an answer that is not the protocol", "[svctl]") {
    TestServer server([](int fd) {
        (void)read_line(fd);
        write_all(fd, "HTTP/1.0 400 Bad Request\n");
        wait_for_close(fd);
    });
    ControlClient client(server.path());
    auto response = client.exchange(status_of("web"), 5s);
    REQUIRE_FALSE(response);
    CHECK(response.error().message().starts_with("bad answer from svinit at " + server.path() +
                                                 ": "));
}

TEST_CASE("client: an answer over the size bound is refused", "[svctl]") {
    TestServer server([](int fd) {
        (void)read_line(fd);
        std::string chunk(1024 * 1024, 'x');
        for (std::size_t sent = 0; sent <= svinit::control::kMaxResponseBytes;
             sent += chunk.size()) {
            write_all(fd, chunk);
        }
        wait_for_close(fd);
    });
    ControlClient client(server.path());
    auto response = client.exchange(status_of("web"), 30s);
    REQUIRE_FALSE(response);
    CHECK(response.error().message() ==
          "answer from svinit at " + server.path() + " exceeds 16 MiB");
}

TEST_CASE("take_line splits at the first newline", "[svctl]") {
    std::string buffer = "one\ntwo\nthr";
    CHECK(svinit::svctl::take_line(buffer) == "one");
    CHECK(svinit::svctl::take_line(buffer) == "two");
    CHECK_FALSE(svinit::svctl::take_line(buffer));
    CHECK(buffer == "thr");
}
