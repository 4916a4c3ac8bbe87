# xcsproxy as a container, from the static binary `make image` builds into
# bin/; nothing is pulled from a registry. Run it with the Docker socket
# mounted, its own socket directory shared with XNAT, a read-only root
# filesystem, and a writable audit directory:
#
#   docker run -d --name xcsproxy --read-only \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /run/xcsproxy:/run/xcsproxy -v /var/log/xcsproxy:/var/log/xcsproxy \
#     xcsproxy:latest
FROM scratch
COPY bin/xcsproxy /xcsproxy
# A numeric user: no passwd file is needed, and it is never root.
USER 65532:65532
ENV XCSPROXY_LISTEN=unix:///run/xcsproxy/docker.sock \
    XCSPROXY_ADMIN_LISTEN=unix:///run/xcsproxy/admin.sock \
    XCSPROXY_AUDIT_LOG=/var/log/xcsproxy/audit.log \
    XCSPROXY_LOG_FORMAT=json
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s CMD ["/xcsproxy", "health"]
ENTRYPOINT ["/xcsproxy"]
CMD ["serve"]
