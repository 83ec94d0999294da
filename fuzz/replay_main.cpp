// The main of the replay binaries (fuzz/CMakeLists.txt): every file of the corpus
// directories given runs once through the target's LLVMFuzzerTestOneInput, so the seeds
// and every crash ever found are ordinary tests in every build, sanitizer build included.
// A crash or a failed check aborts, which fails the test.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// The corpus files of `arg` (a directory, or one file), sorted so runs are repeatable.
std::vector<fs::path> inputs_of(const fs::path& arg, std::error_code& ec) {
    std::vector<fs::path> files;
    if (!fs::is_directory(arg, ec)) {
        if (!ec) files.push_back(arg);
        return files;
    }
    for (const auto& entry : fs::directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::ranges::sort(files);
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    std::size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        std::error_code ec;
        const std::vector<fs::path> files = inputs_of(argv[i], ec);
        if (ec || files.empty()) {
            std::fprintf(stderr, "%s: no inputs%s%s\n", argv[i], ec ? ": " : "",
                         ec ? ec.message().c_str() : "");
            return 1;
        }
        for (const fs::path& file : files) {
            std::ifstream in(file, std::ios::binary);
            const std::string bytes{std::istreambuf_iterator<char>(in), {}};
            if (!in.good() && !in.eof()) {
                std::fprintf(stderr, "%s: cannot read\n", file.c_str());
                return 1;
            }
            std::fprintf(stderr, "replay %s (%zu bytes)\n", file.c_str(), bytes.size());
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                   bytes.size());
            ++replayed;
        }
    }
    std::printf("%zu inputs replayed\n", replayed);
    return 0;
}
