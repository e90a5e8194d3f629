#include "cxrisk/communicator.h"

namespace cxrisk {

namespace {
class Serial final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<std::string> gather(const std::string& mine) const override { return {mine}; }
  std::string broadcast(const std::string& from_root) const override { return from_root; }
};
}  // namespace

const Communicator& serial_communicator() {
  static const Serial serial;
  return serial;
}

}  // namespace cxrisk
