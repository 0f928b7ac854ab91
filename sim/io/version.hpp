#pragma once
// Version and git revision of this build (written at build time by scripts/revision.cmake).
namespace ebsim {
extern const char* const kVersion;
extern const char* const kGitRevision;
}  // namespace ebsim
