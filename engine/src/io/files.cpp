// Output files written whole or not at all, safely in a folder others may write into.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <streambuf>

#include "cxrisk/output.h"

namespace cxrisk {

namespace fs = std::filesystem;

namespace {

// A stream buffer that writes to a file descriptor, so that a temporary made by mkstemp is written through
// the descriptor it was made with (never reopened by name).
class FdBuffer : public std::streambuf {
 public:
  explicit FdBuffer(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  bool failed() const { return failed_; }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!flush_buffer()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return flush_buffer() ? 0 : -1; }

 private:
  bool flush_buffer() {
    const char* at = pbase();
    while (at < pptr()) {
      const ssize_t n = ::write(fd_, at, static_cast<std::size_t>(pptr() - at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = true;
        error_ = errno;
        return false;
      }
      at += n;
    }
    setp(buffer_, buffer_ + sizeof buffer_);
    return true;
  }
  int fd_;
  char buffer_[1 << 16];
  bool failed_ = false;
  int error_ = 0;
};

// The lock of an output folder (flock on the folder itself, so that it leaves no file), held while a set of
// files is written into it: two runs into the same folder write their sets one after the other, never mixed.
class FolderLock {
 public:
  explicit FolderLock(const fs::path& dir) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0)
      throw RuntimeError(
          fmt::format("cannot lock the output folder '{}': {}", dir.string(), std::strerror(errno)));
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FolderLock() { ::close(fd_); }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

constexpr std::string_view TEMPORARY_MARK = ".tmp-";

// Temporaries a killed process left behind: with the folder's lock held, no other writer is at work in it.
void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 1 && name[0] == '.' && name.find(TEMPORARY_MARK) != std::string::npos &&
        e.is_regular_file(ec))
      fs::remove(e.path(), ec);
  }
}

}  // namespace

void check_output_folder(const fs::path& dir) {
  std::error_code ec;
  fs::path existing = fs::absolute(dir, ec);
  if (ec)
    throw RuntimeError(fmt::format("cannot use the output folder '{}': {}", dir.string(), ec.message()));
  while (!fs::exists(existing, ec) && existing.has_relative_path()) existing = existing.parent_path();
  if (!fs::is_directory(existing, ec))
    throw RuntimeError(fmt::format("cannot create the output folder '{}': '{}' is not a folder", dir.string(),
                                   existing.string()));
  if (::access(existing.c_str(), W_OK | X_OK) != 0)
    throw RuntimeError(fmt::format("cannot create the output folder '{}': '{}': {}", dir.string(),
                                   existing.string(), std::strerror(errno)));
}

void write_files_atomically(const fs::path& dir,
                            const std::vector<std::pair<std::string, std::string>>& files,
                            const std::vector<std::string>& stale) {
  std::vector<std::pair<std::string, FileWriter>> writers;
  for (const auto& [name, content] : files)
    writers.emplace_back(name, [&content = content](std::ostream& out) { out << content; });
  write_files_atomically(dir, writers, stale);
}

void write_files_atomically(const fs::path& dir, const std::vector<std::pair<std::string, FileWriter>>& files,
                            const std::vector<std::string>& stale) {
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  fs::create_directories(dir, ec);
  if (ec)
    throw RuntimeError(fmt::format("cannot create the output folder '{}': {}", dir.string(), ec.message()));
  std::vector<std::pair<fs::path, fs::path>> written;  // temporary, target
  // Removes the temporary files (and the folder, if this call made it and nothing else is in it) and throws:
  // nothing of this set of files has been replaced yet.
  const auto fail = [&](const fs::path& target, const std::string& why) {
    std::error_code ignored;
    for (auto& [tmp, unused] : written) fs::remove(tmp, ignored);
    if (!existed) fs::remove(dir, ignored);  // only when empty
    throw RuntimeError(fmt::format("cannot write '{}'{}", target.string(), why));
  };
  const FolderLock lock(dir);
  remove_stale_temporaries(dir);
  for (const auto& [name, write] : files) {
    const fs::path target = dir / name;
    // An unpredictable name made with O_CREAT | O_EXCL: a file or link planted at it makes mkstemp try
    // another, and nothing is ever written through a link.
    std::string pattern = (dir / fmt::format(".{}{}XXXXXX", name, TEMPORARY_MARK)).string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) fail(target, std::string(": ") + std::strerror(errno));
    written.emplace_back(pattern, target);
    ::fchmod(fd, 0644);
    FdBuffer buffer(fd);
    try {
      std::ostream out(&buffer);
      write(out);  // may stop (Ctrl-C while millions of rows are written): nothing is left then either
      out.flush();
    } catch (...) {
      ::close(fd);
      std::error_code ignored;
      for (auto& [tmp, unused] : written) fs::remove(tmp, ignored);
      if (!existed) fs::remove(dir, ignored);
      throw;
    }
    const bool ok = !buffer.failed() && ::fsync(fd) == 0;
    const int error = buffer.failed() ? buffer.error() : errno;
    ::close(fd);
    if (!ok) fail(target, std::string(": ") + std::strerror(error));
  }
  // A rename fails where a folder has the file's name: found before any file is replaced, so that the set is
  // written whole or not at all. A link at the name is replaced, not followed.
  for (auto& [tmp, target] : written)
    if (fs::is_directory(fs::symlink_status(target, ec))) fail(target, ": a folder has that name");
  for (auto& [tmp, target] : written) {
    fs::rename(tmp, target, ec);
    if (ec) fail(target, ": " + ec.message());
  }
  // Files an earlier run wrote beside these and this one did not (trials.csv without --samples).
  for (const std::string& name : stale) fs::remove(dir / name, ec);
}

}  // namespace cxrisk
