// Memory probes that libtorch does not expose through tch: a counting CPU
// allocator and the device caching allocator's statistics.
//
// Every entry point is extern "C" and noexcept: C++ exceptions are caught here
// and turned into a status code plus a message, because unwinding into Rust
// frames is undefined behaviour.

#include <c10/core/Allocator.h>
#include <c10/core/alignment.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/CachingDeviceAllocator.h>
#include <c10/core/DeviceType.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>

namespace {

void write_message(char* buffer, size_t buffer_len, const char* message) {
  if (buffer == nullptr || buffer_len == 0) {
    return;
  }
  std::snprintf(buffer, buffer_len, "%s", message);
}

// Wraps the CPU allocator that libtorch had installed and counts the bytes
// that each allocation requested. Each block is allocated with a header in
// front of the data that records its size and the wrapped allocator's own
// context and deleter, so the deleter can subtract the exact size and then
// free through the original deleter. The counters leave the header out.
//
// The DataPtr's context is the data pointer itself, because libtorch's
// Allocator::raw_allocate asserts exactly that. Some CPU kernels allocate
// scratch space through it (gelu does in libtorch 2.13), and with a separate
// context object they fail that assertion.
class CountingCpuAllocator final : public c10::Allocator {
 public:
  explicit CountingCpuAllocator(c10::Allocator* inner) : inner_(inner) {}

  c10::DataPtr allocate(size_t nbytes) override {
    c10::DataPtr inner_ptr = inner_->allocate(nbytes + kHeaderBytes);
    auto* block = static_cast<char*>(inner_ptr.get());
    c10::Device device = inner_ptr.device();
    c10::DeleterFnPtr inner_deleter = inner_ptr.get_deleter();
    void* inner_context = inner_ptr.release_context();
    new (block) Header{inner_context, inner_deleter, nbytes};
    void* data = block + kHeaderBytes;
    record_allocation(nbytes);
    return {data, data, &CountingCpuAllocator::delete_block, device};
  }

  c10::DeleterFnPtr raw_deleter() const override {
    return &CountingCpuAllocator::delete_block;
  }

  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }

  static void record_allocation(size_t nbytes) {
    int64_t now = current_bytes.fetch_add(static_cast<int64_t>(nbytes)) +
        static_cast<int64_t>(nbytes);
    allocation_count.fetch_add(1);
    allocated_bytes_total.fetch_add(static_cast<int64_t>(nbytes));
    int64_t peak = peak_bytes.load();
    while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
    }
  }

  static std::atomic<int64_t> current_bytes;
  static std::atomic<int64_t> peak_bytes;
  static std::atomic<int64_t> allocation_count;
  static std::atomic<int64_t> free_count;
  static std::atomic<int64_t> allocated_bytes_total;

 private:
  struct Header {
    void* inner_context;
    c10::DeleterFnPtr inner_deleter;
    size_t nbytes;
  };
  // A whole number of alignment units, so the data keeps the alignment that
  // the wrapped allocator gives its blocks.
  static constexpr size_t kHeaderBytes =
      (sizeof(Header) + c10::gAlignment - 1) / c10::gAlignment * c10::gAlignment;

  static void delete_block(void* data) {
    auto* header = reinterpret_cast<Header*>(static_cast<char*>(data) - kHeaderBytes);
    Header copy = *header;
    current_bytes.fetch_sub(static_cast<int64_t>(copy.nbytes));
    free_count.fetch_add(1);
    if (copy.inner_deleter != nullptr) {
      copy.inner_deleter(copy.inner_context);
    }
  }

  c10::Allocator* inner_;
};

std::atomic<int64_t> CountingCpuAllocator::current_bytes{0};
std::atomic<int64_t> CountingCpuAllocator::peak_bytes{0};
std::atomic<int64_t> CountingCpuAllocator::allocation_count{0};
std::atomic<int64_t> CountingCpuAllocator::free_count{0};
std::atomic<int64_t> CountingCpuAllocator::allocated_bytes_total{0};

std::atomic<CountingCpuAllocator*> installed_allocator{nullptr};

}  // namespace

extern "C" {

struct EpochmemCpuAllocatorStats {
  int64_t current_bytes;
  int64_t peak_bytes;
  int64_t allocation_count;
  int64_t free_count;
  int64_t allocated_bytes_total;
};

struct EpochmemDeviceAllocatorStats {
  int64_t allocated_current_bytes;
  int64_t allocated_peak_bytes;
  int64_t reserved_current_bytes;
  int64_t reserved_peak_bytes;
  int64_t active_current_bytes;
  int64_t active_peak_bytes;
  int64_t num_ooms;
  int64_t num_alloc_retries;
};

// Returns 0 when the counting allocator is installed now, 1 when it already
// was, and -1 with a message on failure.
int epochmem_cpu_counter_install(char* error, size_t error_len) noexcept {
  try {
    if (installed_allocator.load() != nullptr) {
      return 1;
    }
    c10::Allocator* inner = c10::GetCPUAllocator();
    // Deliberately leaked: libtorch keeps the pointer until process exit.
    auto* counting = new CountingCpuAllocator(inner);
    // Priority 255 wins over any allocator libtorch registers at start-up.
    c10::SetCPUAllocator(counting, /*priority=*/255);
    installed_allocator.store(counting);
    return 0;
  } catch (const std::exception& e) {
    write_message(error, error_len, e.what());
  } catch (...) {
    write_message(error, error_len, "unknown C++ exception");
  }
  return -1;
}

int epochmem_cpu_counter_is_installed() noexcept {
  return installed_allocator.load() != nullptr &&
          c10::GetCPUAllocator() == installed_allocator.load()
      ? 1
      : 0;
}

void epochmem_cpu_counter_read(EpochmemCpuAllocatorStats* out) noexcept {
  out->current_bytes = CountingCpuAllocator::current_bytes.load();
  out->peak_bytes = CountingCpuAllocator::peak_bytes.load();
  out->allocation_count = CountingCpuAllocator::allocation_count.load();
  out->free_count = CountingCpuAllocator::free_count.load();
  out->allocated_bytes_total = CountingCpuAllocator::allocated_bytes_total.load();
}

void epochmem_cpu_counter_reset_peak() noexcept {
  CountingCpuAllocator::peak_bytes.store(CountingCpuAllocator::current_bytes.load());
}

// Reads the caching allocator statistics of one device of a device type
// (1 = CUDA). Returns 0 when measured, 1 when no such allocator is usable
// (the message gives the reason), -1 on an unexpected C++ error.
int epochmem_device_allocator_stats(
    int device_type,
    int device_index,
    EpochmemDeviceAllocatorStats* out,
    char* message,
    size_t message_len) noexcept {
  try {
    auto type = static_cast<c10::DeviceType>(device_type);
    c10::Allocator* raw = nullptr;
    try {
      raw = c10::GetAllocator(type);
    } catch (const std::exception&) {
      raw = nullptr;
    }
    if (raw == nullptr) {
      write_message(message, message_len,
          "no caching allocator is registered for this device type "
          "(the CUDA part of libtorch is not loaded)");
      return 1;
    }
    auto* allocator = dynamic_cast<c10::DeviceAllocator*>(raw);
    if (allocator == nullptr) {
      write_message(message, message_len,
          "the registered allocator is not a caching device allocator");
      return 1;
    }
    if (!allocator->initialized()) {
      write_message(message, message_len,
          "the caching allocator is not initialized (no device memory was "
          "requested in this process, or no device is present)");
      return 1;
    }
    const auto stats = allocator->getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
    constexpr auto aggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
    out->allocated_current_bytes = stats.allocated_bytes[aggregate].current;
    out->allocated_peak_bytes = stats.allocated_bytes[aggregate].peak;
    out->reserved_current_bytes = stats.reserved_bytes[aggregate].current;
    out->reserved_peak_bytes = stats.reserved_bytes[aggregate].peak;
    out->active_current_bytes = stats.active_bytes[aggregate].current;
    out->active_peak_bytes = stats.active_bytes[aggregate].peak;
    out->num_ooms = stats.num_ooms;
    out->num_alloc_retries = stats.num_alloc_retries;
    return 0;
  } catch (const std::exception& e) {
    write_message(message, message_len, e.what());
  } catch (...) {
    write_message(message, message_len, "unknown C++ exception");
  }
  return -1;
}

// Resets the peak statistics of one device. Same return codes as above.
int epochmem_device_allocator_reset_peaks(
    int device_type, int device_index, char* message, size_t message_len) noexcept {
  try {
    auto* allocator = dynamic_cast<c10::DeviceAllocator*>(
        c10::GetAllocator(static_cast<c10::DeviceType>(device_type)));
    if (allocator == nullptr || !allocator->initialized()) {
      write_message(message, message_len, "no initialized caching allocator");
      return 1;
    }
    allocator->resetPeakStats(static_cast<c10::DeviceIndex>(device_index));
    return 0;
  } catch (const std::exception& e) {
    write_message(message, message_len, e.what());
  } catch (...) {
    write_message(message, message_len, "unknown C++ exception");
  }
  return -1;
}

}  // extern "C"
