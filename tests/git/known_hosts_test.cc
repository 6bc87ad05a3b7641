#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "git/known_hosts.hh"
#include "test_support.hh"

using namespace cwf;
using git::HostKeyVerdict;

namespace {

// A real ed25519 host key, and what ssh-keygen -l says of it.
const char* kKey = "AAAAC3NzaC1lZDI1NTE5AAAAICqsEPvgZJYJJ+OtvQxVqecsrmpcaGJfYFq+o/c6+xIU";
const char* kOther = "AAAAC3NzaC1lZDI1NTE5AAAAIPZSKAbMpWiz604cN0OnAgW+sws5xQPE+vfQkiBI9c4Z";
const char* kFingerprint = "SHA256:KGJn4YOKqynHw4g/7Uwixaaq4Cuto99dVf1dVtwccvQ";

std::string decode(const std::string& b64) {
  std::string out(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  out.resize(static_cast<std::size_t>(n) - static_cast<std::size_t>(std::count(b64.end() - 2, b64.end(), '=')));
  return out;
}

std::string encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// As ssh-keygen -H writes a name: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
std::string hashed(const std::string& name) {
  std::string salt = "0123456789abcdefghij";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()), reinterpret_cast<const unsigned char*>(name.data()),
       name.size(), mac, &len);
  return "|1|" + encode(salt) + "|" + encode(std::string(reinterpret_cast<char*>(mac), len));
}

HostKeyVerdict verdict(const std::string& lines, const std::string& host, int port, const char* key = kKey) {
  test::TempDir tmp;
  test::write_file(tmp.path() / "known_hosts", lines);
  return git::check_host_key((tmp.path() / "known_hosts").string(), host, port, decode(key)).verdict;
}

}  // namespace

TEST_CASE("a host key's type and fingerprint, as ssh-keygen shows them") {
  CHECK(git::host_key_type(decode(kKey)) == "ssh-ed25519");
  CHECK(git::host_key_fingerprint(decode(kKey)) == kFingerprint);
  CHECK(git::host_key_type("\xff\xff") == "unknown");
  CHECK(git::host_key_type(std::string("\0\0\0\x7fssh", 7)) == "unknown");  // a length past the end
}

TEST_CASE("known_hosts names: plain for port 22, [host]:port otherwise, wildcards, negation, hashed") {
  std::string line = std::string(" ssh-ed25519 ") + kKey + " comment\n";
  CHECK(verdict("git.example.com" + line, "git.example.com", 22) == HostKeyVerdict::known);
  CHECK(verdict("GIT.example.com" + line, "git.example.com", 22) == HostKeyVerdict::known);
  CHECK(verdict("git.example.com" + line, "git.example.com", 2222) == HostKeyVerdict::unknown);
  CHECK(verdict("[git.example.com]:2222" + line, "git.example.com", 2222) == HostKeyVerdict::known);
  CHECK(verdict("other.example.com,git.example.com" + line, "git.example.com", 22) == HostKeyVerdict::known);
  CHECK(verdict("*.example.com" + line, "git.example.com", 22) == HostKeyVerdict::known);
  CHECK(verdict("git.example.co?" + line, "git.example.com", 22) == HostKeyVerdict::known);
  CHECK(verdict("*.example.com,!git.example.com" + line, "git.example.com", 22) == HostKeyVerdict::unknown);
  CHECK(verdict(hashed("git.example.com") + line, "git.example.com", 22) == HostKeyVerdict::known);
  CHECK(verdict(hashed("[git.example.com]:2222") + line, "git.example.com", 2222) == HostKeyVerdict::known);
  CHECK(verdict(hashed("git.example.com") + line, "evil.example.com", 22) == HostKeyVerdict::unknown);
}

TEST_CASE("another key for the host is a change; a revoked key is refused; the rest is skipped") {
  std::string other = std::string("git.example.com ssh-ed25519 ") + kOther + "\n";
  CHECK(verdict(other, "git.example.com", 22) == HostKeyVerdict::changed);
  // A second line with the right key: hosts may have several keys.
  CHECK(verdict(other + "git.example.com ssh-ed25519 " + kKey + "\n", "git.example.com", 22) == HostKeyVerdict::known);
  CHECK(verdict(std::string("@revoked * ssh-ed25519 ") + kKey + "\ngit.example.com ssh-ed25519 " + kKey + "\n",
                "git.example.com", 22) == HostKeyVerdict::revoked);
  CHECK(verdict(std::string("# a comment\n\n   \n@cert-authority *.example.com ssh-ed25519 ") + kKey +
                    "\ngarbage\ngit.example.com ssh-ed25519 !!!notbase64\r\ngit.example.com ssh-ed25519 " + kKey + "\r\n",
                "git.example.com", 22) == HostKeyVerdict::known);
  CHECK(verdict("", "git.example.com", 22) == HostKeyVerdict::unknown);
}

TEST_CASE("the refusal says which host, which key and where to put it") {
  test::TempDir tmp;
  auto file = (tmp.path() / "known_hosts").string();
  test::write_file(file, std::string("[git.example.com]:2222 ssh-ed25519 ") + kOther + "\n");
  auto changed = git::check_host_key(file, "git.example.com", 2222, decode(kKey));
  CHECK(changed.message == "the host key of git.example.com (port 2222) has CHANGED: it offered the ssh-ed25519 key " +
                               std::string(kFingerprint) + ", and " + file +
                               " lists another key for [git.example.com]:2222. Someone may be intercepting the "
                               "connection; if the change is expected, replace that line in " + file);
  auto unknown = git::check_host_key(file, "new.example.com", 22, decode(kKey));
  CHECK(unknown.message == "new.example.com (port 22) is not a known host: it offered the ssh-ed25519 key " +
                               std::string(kFingerprint) + "; if that is the server's key (check the fingerprint with "
                               "its owner), add its line to " + file + " (`ssh-keyscan new.example.com` prints it)");
  auto missing = git::check_host_key((tmp.path() / "none").string(), "new.example.com", 22, decode(kKey));
  CHECK(missing.verdict == HostKeyVerdict::unknown);  // a file not made yet knows no host
  auto unreadable = git::check_host_key(tmp.path().string(), "new.example.com", 22, decode(kKey));
  CHECK(unreadable.verdict != HostKeyVerdict::known);
}
