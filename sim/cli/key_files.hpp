// The file names `otasim keys generate` writes, and `otasim release build --keys` and
// `otasim run --keys` (sim/scenario/fixed_keys.cpp) read.
#pragma once

namespace otasim::cli {

inline constexpr const char* kVendorKeyFile = "vendor.key.pem";
inline constexpr const char* kVendorPubFile = "vendor.pub.pem";
inline constexpr const char* kCodesignCertFile = "codesign.cert.pem";
inline constexpr const char* kCodesignKeyFile = "codesign.key.pem";
// TLS: the CA the device trusts and that issues both the server's and the device's certificate.
inline constexpr const char* kTlsCaCertFile = "tls-ca.cert.pem";
inline constexpr const char* kTlsCaKeyFile = "tls-ca.key.pem";
inline constexpr const char* kTlsServerCertFile = "tls-server.cert.pem";
inline constexpr const char* kTlsServerKeyFile = "tls-server.key.pem";
// The device's identity (CN = its device id), the names the provisioning bundle uses too.
inline constexpr const char* kDeviceCertFile = "device.pem";
inline constexpr const char* kDeviceKeyFile = "device.key";

}  // namespace otasim::cli
