export {
  type CertificateMaterial,
  type CertificatePaths,
  type EnsureCertificatesOptions,
  ensureCertificates,
  generateCertificates,
  loadCertificates,
  serialNumber,
} from './certificates.ts';
