#include "models/rate_function.hpp"

namespace ebsim::models {

std::string to_string(RateKind kind) {
  switch (kind) {
    case RateKind::hard_sigmoid: return "hard_sigmoid";
    case RateKind::logistic: return "logistic";
  }
  return "unknown";
}

}  // namespace ebsim::models
