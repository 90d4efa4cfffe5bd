// lode_http_load: drives `lode serve` with concurrent HTTP ingest, as a fleet of log shippers
// would, and reports lines/s, MB/s, request latency and the server's CPU time (from /proc), so
// that sync modes and batch sizes can be compared in one run (docs/PERFORMANCE.md).
//
// usage: lode_http_load --port P --corpus FILE.ndjson [--connections 8] [--lines-per-request 1000]
//                       [--seconds 10] [--server-pid PID]
// Every request must be answered 200 with every line stored; anything else is an error (exit 1).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Options {
  int port = 0;
  std::string corpus;
  int connections = 8;
  int lines_per_request = 1000;
  double seconds = 10;
  int server_pid = 0;
};

// Server CPU seconds (user + system) from /proc/PID/stat, or -1.
double ProcessCpuSeconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  size_t r = s.rfind(')');
  if (r == std::string::npos) return -1;
  std::istringstream in(s.substr(r + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::atol(field.c_str());
    if (i == 15) stime = std::atol(field.c_str());
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response with a Content-Length body; returns the status, or -1.
int ReadResponse(int fd, std::string* buf, std::string* body) {
  size_t hdr_end;
  while ((hdr_end = buf->find("\r\n\r\n")) == std::string::npos) {
    char tmp[65536];
    ssize_t n = ::read(fd, tmp, sizeof(tmp));
    if (n <= 0) return -1;
    buf->append(tmp, static_cast<size_t>(n));
  }
  int status = std::atoi(buf->c_str() + 9);
  size_t cl = 0;
  std::string headers = buf->substr(0, hdr_end);
  for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t p = headers.find("content-length:");
  if (p != std::string::npos) cl = std::strtoul(headers.c_str() + p + 15, nullptr, 10);
  const size_t need = hdr_end + 4 + cl;
  while (buf->size() < need) {
    char tmp[65536];
    ssize_t n = ::read(fd, tmp, sizeof(tmp));
    if (n <= 0) return -1;
    buf->append(tmp, static_cast<size_t>(n));
  }
  *body = buf->substr(hdr_end + 4, cl);
  buf->erase(0, need);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      o.port = std::atoi(v.c_str());
    else if (k == "--corpus")
      o.corpus = v;
    else if (k == "--connections")
      o.connections = std::atoi(v.c_str());
    else if (k == "--lines-per-request")
      o.lines_per_request = std::atoi(v.c_str());
    else if (k == "--seconds")
      o.seconds = std::atof(v.c_str());
    else if (k == "--server-pid")
      o.server_pid = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "lode_http_load: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  if (o.port <= 0 || o.corpus.empty() || o.connections <= 0 || o.lines_per_request <= 0) {
    std::fprintf(stderr,
                 "usage: lode_http_load --port P --corpus FILE [--connections N] "
                 "[--lines-per-request N] [--seconds S] [--server-pid PID]\n");
    return 2;
  }
  // Pre-build the request bodies (whole lines), up to 256 MiB of corpus.
  std::ifstream in(o.corpus);
  std::vector<std::string> bodies;
  std::string line, body;
  int lines_in_body = 0;
  size_t total = 0;
  while (std::getline(in, line) && total < (256u << 20)) {
    body += line;
    body += '\n';
    total += line.size() + 1;
    if (++lines_in_body == o.lines_per_request) {
      bodies.push_back(std::move(body));
      body.clear();
      lines_in_body = 0;
    }
  }
  if (bodies.empty()) {
    std::fprintf(stderr, "lode_http_load: corpus has fewer than %d lines\n", o.lines_per_request);
    return 2;
  }
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> lines{0}, bytes{0}, requests{0}, errors{0};
  std::vector<std::vector<double>> latencies(o.connections);
  const double cpu0 = ProcessCpuSeconds(o.server_pid);
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(o.seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      int fd = Connect(o.port);
      if (fd < 0) {
        errors++;
        return;
      }
      std::string buf, reply;
      const std::string expect =
          "\"stored\":" + std::to_string(o.lines_per_request) + ",\"rejected\":0";
      while (std::chrono::steady_clock::now() < deadline) {
        const std::string& b = bodies[next.fetch_add(1) % bodies.size()];
        std::string req = "POST /ingest/ndjson HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                          std::to_string(b.size()) + "\r\n\r\n";
        const auto s = std::chrono::steady_clock::now();
        if (!WriteAll(fd, req) || !WriteAll(fd, b)) {
          errors++;
          break;
        }
        int status = ReadResponse(fd, &buf, &reply);
        const auto e = std::chrono::steady_clock::now();
        if (status != 200 || reply.find(expect) == std::string::npos) {
          errors++;
          std::fprintf(stderr, "lode_http_load: status %d: %s\n", status, reply.c_str());
          break;
        }
        latencies[c].push_back(std::chrono::duration<double, std::milli>(e - s).count());
        lines += static_cast<uint64_t>(o.lines_per_request);
        bytes += b.size();
        requests++;
      }
      ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = o.server_pid > 0 ? ProcessCpuSeconds(o.server_pid) - cpu0 : -1;
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::printf("connections %d, lines/request %d, %.1f s: %llu requests, %llu lines, %.1f MB\n",
              o.connections, o.lines_per_request, wall,
              static_cast<unsigned long long>(requests.load()),
              static_cast<unsigned long long>(lines.load()), bytes.load() / 1e6);
  std::printf("  %.0f lines/s, %.1f MB/s wall; latency p50 %.2f ms, p99 %.2f ms\n",
              lines.load() / wall, bytes.load() / 1e6 / wall, pct(0.5), pct(0.99));
  if (cpu > 0) {
    std::printf("  server CPU %.2f s: %.1f MB/s per CPU-second\n", cpu, bytes.load() / 1e6 / cpu);
  }
  if (errors.load() > 0) {
    std::printf("  %llu errors\n", static_cast<unsigned long long>(errors.load()));
    return 1;
  }
  return 0;
}
