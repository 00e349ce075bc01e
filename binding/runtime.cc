#include "runtime.h"
#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace delta_cuda {

void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so later calls are not poisoned by it
  throw std::runtime_error(std::string("delta-cuda: ") + what + ": " + cudaGetErrorName(err) + ": " +
                           cudaGetErrorString(err));
}

Runtime& Runtime::get() {
  static Runtime rt;
  return rt;
}

Probe Runtime::probe() {
  Probe r;
  cudaRuntimeGetVersion(&r.runtimeVersion);
  if (cudaDriverGetVersion(&r.driverVersion) != cudaSuccess) r.driverVersion = 0;
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    r.reason = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
    if (r.driverVersion == 0) r.reason += " (no NVIDIA driver: cudaDriverGetVersion reports none)";
    return r;
  }
  if (n == 0) {
    r.reason = "the driver reports 0 devices";
    return r;
  }
  r.count = n;
  for (int i = 0; i < n; i++) {
    cudaDeviceProp p{};
    DeviceDesc d;
    if (cudaGetDeviceProperties(&p, i) == cudaSuccess) {
      d.name = p.name;
      d.ccMajor = p.major;
      d.ccMinor = p.minor;
      d.memory = p.totalGlobalMem;
      d.multiprocessors = p.multiProcessorCount;
      d.l2Bytes = p.l2CacheSize;
    } else {
      cudaGetLastError();
      d.name = "(properties unavailable)";
    }
    r.devices.push_back(d);
  }
  return r;
}

void Runtime::init(int device) {
  if (ready_) {
    if (device == device_) return;
    throw std::runtime_error("delta-cuda: already initialised on device " + std::to_string(device_) +
                             "; one process uses one device (set DELTA_CUDA_DEVICE before the first use)");
  }
  Probe pr = probe();
  if (pr.count == 0) throw std::runtime_error("delta-cuda: no CUDA device: " + pr.reason);
  if (device < 0 || device >= pr.count)
    throw std::runtime_error("delta-cuda: no CUDA device: device " + std::to_string(device) + " requested, " +
                             std::to_string(pr.count) + " present");
  check(cudaSetDevice(device), "cudaSetDevice");
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  for (int i = 0; i < 2; i++) {
    check(cudaHostAlloc(&stage_[i], kStage, cudaHostAllocDefault), "cudaHostAlloc (pinned staging)");
    check(cudaEventCreateWithFlags(&stageEv_[i], cudaEventDisableTiming), "cudaEventCreate");
  }
  device_ = device;
  ready_ = true;
}

void Runtime::ensure() {
  if (!ready_) init(0);
}

cudaStream_t Runtime::stream() {
  ensure();
  return stream_;
}

// Size classes: 256-byte steps up to 4 KiB, then four steps per power of two (at most 25% slack).
size_t Runtime::sizeClass(size_t bytes) {
  if (bytes <= 4096) return (bytes + 255) / 256 * 256;
  size_t p = 4096;
  while (p * 2 < bytes) p *= 2;
  const size_t step = p / 4;
  return (bytes + step - 1) / step * step;
}

void* Runtime::takeBlock(size_t cls) {
  auto it = cache_.find(cls);
  if (it != cache_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    cachedBytes_ -= cls;
    return p;
  }
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, cls);
  if (err != cudaSuccess) {
    cudaGetLastError();
    trim();  // out of memory with blocks cached: give them back and try once more
    check(cudaMalloc(&p, cls), "cudaMalloc");
  }
  heldBytes_ += cls;
  return p;
}

uint32_t Runtime::alloc(size_t bytes) {
  ensure();
  Buf b;
  b.bytes = bytes;
  if (bytes > 0) {
    b.cls = sizeClass(bytes);
    b.p = takeBlock(b.cls);
  }
  if (!freeList_.empty()) {
    uint32_t h = freeList_.back();
    freeList_.pop_back();
    bufs_[h - 1] = b;
    return h;
  }
  bufs_.push_back(b);
  return static_cast<uint32_t>(bufs_.size());
}

void Runtime::free(uint32_t h) {
  size(h);  // throws for an unknown or already freed handle
  Buf& b = bufs_[h - 1];
  // Back to the cache, not to the driver: work already queued on the stream may still use the block,
  // and only work queued later (same stream) can get it again.
  if (b.p) {
    cache_[b.cls].push_back(b.p);
    cachedBytes_ += b.cls;
  }
  b.p = nullptr;
  b.bytes = SIZE_MAX;  // marks the slot free (a live zero-byte buffer has bytes == 0)
  freeList_.push_back(h);
}

void Runtime::trim() {
  if (!ready_) return;
  for (auto& [cls, blocks] : cache_) {
    for (void* p : blocks) cudaFree(p);  // cudaFree waits for the device first
    blocks.clear();
  }
  cache_.clear();
  heldBytes_ -= cachedBytes_;
  cachedBytes_ = 0;
}

size_t Runtime::size(uint32_t h) const {
  if (h == 0 || h > bufs_.size() || bufs_[h - 1].bytes == SIZE_MAX)
    throw std::runtime_error("delta-cuda: unknown buffer handle " + std::to_string(h));
  return bufs_[h - 1].bytes;
}

void* Runtime::ptr(uint32_t h, size_t offset, size_t bytes) const {
  const size_t n = size(h);
  if (offset > n || bytes > n - offset)
    throw std::runtime_error("delta-cuda: access [" + std::to_string(offset) + ", +" + std::to_string(bytes) +
                             ") outside buffer " + std::to_string(h) + " of " + std::to_string(n) + " bytes");
  return static_cast<char*>(bufs_[h - 1].p) + offset;
}

void Runtime::upload(uint32_t h, size_t offset, const void* src, size_t bytes) {
  ensure();
  char* dst = static_cast<char*>(ptr(h, offset, bytes));
  const char* s = static_cast<const char*>(src);
  for (size_t done = 0, i = 0; done < bytes; i++) {
    const int k = static_cast<int>(i & 1);
    const size_t n = std::min(kStage, bytes - done);
    check(cudaEventSynchronize(stageEv_[k]), "staging wait");  // the earlier copy out of this buffer is done
    std::memcpy(stage_[k], s + done, n);
    check(cudaMemcpyAsync(dst + done, stage_[k], n, cudaMemcpyHostToDevice, stream_), "upload");
    check(cudaEventRecord(stageEv_[k], stream_), "cudaEventRecord");
    done += n;
  }
}

void Runtime::download(uint32_t h, size_t offset, void* dst, size_t bytes) {
  ensure();
  const char* src = static_cast<const char*>(ptr(h, offset, bytes));
  char* d = static_cast<char*>(dst);
  // Double-buffered: chunk i is copied into stage[i&1] while the host drains chunk i-1.
  size_t prevOff = 0, prevN = 0;
  int prevK = -1;
  for (size_t done = 0, i = 0; done < bytes; i++) {
    const int k = static_cast<int>(i & 1);
    const size_t n = std::min(kStage, bytes - done);
    check(cudaEventSynchronize(stageEv_[k]), "staging wait");
    check(cudaMemcpyAsync(stage_[k], src + done, n, cudaMemcpyDeviceToHost, stream_), "download");
    check(cudaEventRecord(stageEv_[k], stream_), "cudaEventRecord");
    if (prevK >= 0) {
      check(cudaEventSynchronize(stageEv_[prevK]), "download wait");
      std::memcpy(d + prevOff, stage_[prevK], prevN);
    }
    prevK = k; prevOff = done; prevN = n;
    done += n;
  }
  if (prevK >= 0) {
    check(cudaEventSynchronize(stageEv_[prevK]), "download wait");
    std::memcpy(d + prevOff, stage_[prevK], prevN);
  }
}

void Runtime::copy(uint32_t dst, size_t dstOff, uint32_t src, size_t srcOff, size_t bytes) {
  ensure();
  void* d = ptr(dst, dstOff, bytes);
  const void* s = ptr(src, srcOff, bytes);
  if (bytes) check(cudaMemcpyAsync(d, s, bytes, cudaMemcpyDeviceToDevice, stream_), "device copy");
}

void Runtime::synchronize() {
  if (!ready_) return;
  check(cudaStreamSynchronize(stream_), "synchronize");
}

size_t Runtime::liveBuffers() const {
  size_t n = 0;
  for (const Buf& b : bufs_) n += b.bytes != SIZE_MAX;
  return n;
}

}  // namespace delta_cuda
