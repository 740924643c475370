package lang

// Embed the IANA time zone database so America/Sao_Paulo resolves on a
// machine without /usr/share/zoneinfo.
import _ "time/tzdata"
