// The device side of delta-cuda, without Node: one device, one stream, a table of device buffers
// addressed by integer handles (bounds-checked), and two pinned staging buffers for uploads/downloads.
// Every failure throws std::runtime_error with a message that starts "delta-cuda: ".
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <cuda_runtime_api.h>

namespace delta_cuda {

struct DeviceDesc {
  std::string name;
  int ccMajor = 0, ccMinor = 0;
  size_t memory = 0;
  int multiprocessors = 0;
  int l2Bytes = 0;
};

struct Probe {
  int count = 0;
  std::vector<DeviceDesc> devices;
  std::string reason;     // why there is no device (empty when count > 0)
  int driverVersion = 0;  // 0: no driver
  int runtimeVersion = 0;
};

class Runtime {
 public:
  static Runtime& get();
  static Probe probe();                 // never throws
  void init(int device);                // selects the device, creates the stream and staging
  bool ready() const { return ready_; }
  int device() const { return device_; }
  // The one stream every launch goes on (uploads, downloads, dense and delta kernels): stream order is
  // the only synchronisation between kernels.
  cudaStream_t stream();
  uint32_t alloc(size_t bytes);
  void free(uint32_t h);
  size_t size(uint32_t h) const;
  // The device address of [offset, offset + bytes) of buffer h; throws if out of bounds.
  void* ptr(uint32_t h, size_t offset, size_t bytes) const;
  // The device address of buffer h (its first byte); throws for an unknown or freed handle.
  void* ptr(uint32_t h) const { return ptr(h, 0, size(h)); }
  void upload(uint32_t h, size_t offset, const void* src, size_t bytes);   // returns once src is copied
  void download(uint32_t h, size_t offset, void* dst, size_t bytes);       // returns when dst is filled
  void copy(uint32_t dst, size_t dstOff, uint32_t src, size_t srcOff, size_t bytes);  // device to device
  void synchronize();
  size_t liveBuffers() const;
  // Device bytes held in the block cache (freed buffers kept for reuse) and in live buffers.
  size_t cachedBytes() const { return cachedBytes_; }
  // Device bytes this runtime holds from the driver: every cudaMalloc'd block, live or cached.
  size_t heldBytes() const { return heldBytes_; }
  // Returns every cached block to the driver (cudaFree; waits for the device).
  void trim();

 private:
  void ensure();
  // A caching allocator: freed device blocks go to a free list per size class and are reused by later
  // allocations of that class. Safe without events because every use is on the one stream: work queued
  // before the free finishes before work queued after the reuse. cudaMalloc/cudaFree per tensor would
  // cost ~10-100 us each and cudaFree synchronises the device, which serialises host and GPU.
  static size_t sizeClass(size_t bytes);
  void* takeBlock(size_t cls);
  struct Buf { void* p = nullptr; size_t bytes = 0; size_t cls = 0; };
  std::map<size_t, std::vector<void*>> cache_;
  size_t cachedBytes_ = 0;
  size_t heldBytes_ = 0;
  bool ready_ = false;
  int device_ = -1;
  cudaStream_t stream_ = nullptr;
  static constexpr size_t kStage = 8u << 20;
  void* stage_[2] = {nullptr, nullptr};
  cudaEvent_t stageEv_[2] = {nullptr, nullptr};
  std::vector<Buf> bufs_;               // handle = index + 1
  std::vector<uint32_t> freeList_;
};

// Throws "delta-cuda: <what>: <cuda error name>: <message>" when err != cudaSuccess.
void check(cudaError_t err, const char* what);

}  // namespace delta_cuda
