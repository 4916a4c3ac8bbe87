package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeRefusesPlainTCPOnAllInterfaces(t *testing.T) {
	for _, args := range [][]string{
		{"--listen", "tcp://0.0.0.0:2375"},
		{"--listen", "tcp://0.0.0.0:2375", "--insecure-allow-plain-loopback"},
		{"--listen", "tcp://127.0.0.1:2375"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("xcsproxy started on a plain TCP listener instead of refusing")
			}
			if err == nil {
				t.Fatalf("xcsproxy exited 0 on %v", args)
			}
			if !strings.Contains(string(out), "refusing plain TCP listener") {
				t.Fatalf("refusal does not explain itself: %s", out)
			}
		})
	}
}

// testPKI is a throwaway CA with one server and one client certificate.
type testPKI struct {
	dir                       string
	caFile, certFile, keyFile string
	clientCert                tls.Certificate
	// The client certificate as files, for xcsproxy's own TLS client.
	clientCertFile, clientKeyFile string
	pool                          *x509.CertPool
	strangerCert                  tls.Certificate
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caDER, caKey := newCA(t, "xcsproxy test CA", time.Hour)
	ca, _ := x509.ParseCertificate(caDER)
	p := &testPKI{dir: dir, pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)
	issue := func(cn string, usage x509.ExtKeyUsage, signer *x509.Certificate, signerKey *ecdsa.PrivateKey) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			DNSNames: []string{cn},
		}
		if signer == nil {
			signer, signerKey = tmpl, key
		}
		der, _ := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
		return der, key
	}
	srvDER, srvKey := issue("xcsproxy.test", x509.ExtKeyUsageServerAuth, ca, caKey)
	p.certFile = writePEM(t, dir, "server.pem", "CERTIFICATE", srvDER)
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	p.keyFile = writePEM(t, dir, "server-key.pem", "EC PRIVATE KEY", keyDER)
	cliDER, cliKey := issue("xnat", x509.ExtKeyUsageClientAuth, ca, caKey)
	p.clientCert = tls.Certificate{Certificate: [][]byte{cliDER}, PrivateKey: cliKey}
	p.clientCertFile = writePEM(t, dir, "client.pem", "CERTIFICATE", cliDER)
	cliKeyDER, _ := x509.MarshalECPrivateKey(cliKey)
	p.clientKeyFile = writePEM(t, dir, "client-key.pem", "EC PRIVATE KEY", cliKeyDER)
	strDER, strKey := issue("stranger", x509.ExtKeyUsageClientAuth, nil, nil)
	p.strangerCert = tls.Certificate{Certificate: [][]byte{strDER}, PrivateKey: strKey}
	return p
}

// newCA makes a self-signed root CA valid for lifetime from an hour ago.
func newCA(t *testing.T, cn string, lifetime time.Duration) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(lifetime),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestMutualTLSListenerRequiresAValidClientCertificate(t *testing.T) {
	pki := newPKI(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startProxy(t, "--listen", "tcp://"+addr, "--tls-cert", pki.certFile, "--tls-key", pki.keyFile, "--tls-client-ca", pki.caFile)

	get := func(certs []tls.Certificate) (*http.Response, error) {
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: pki.pool, Certificates: certs, ServerName: "xcsproxy.test", MinVersion: tls.VersionTLS12,
		}}}
		return hc.Get("https://" + addr + "/_ping")
	}
	resp, err := get([]tls.Certificate{pki.clientCert})
	if err != nil {
		t.Fatalf("client with a valid certificate: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("client with a valid certificate: status %d", resp.StatusCode)
	}
	for name, certs := range map[string][]tls.Certificate{
		"no certificate":                nil,
		"a certificate from another CA": {pki.strangerCert},
	} {
		if resp, err := get(certs); err == nil {
			resp.Body.Close()
			t.Errorf("client with %s got status %d; the handshake must fail", name, resp.StatusCode)
		}
	}
}
