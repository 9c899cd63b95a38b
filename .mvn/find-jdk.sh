#!/bin/sh
# Prints the home of a JDK whose major version is at least 25, or fails with one clear line.
# Order: $JAVA_HOME if it is new enough, then the JDKs under /usr/lib/jvm (newest first),
# then the `java` on PATH. Used by ./mvnw and ./percore so a fresh machine whose default
# java is older still builds and runs with JDK 25.
need=25
major_of() { # $1 = java home; prints its major version or nothing
  [ -x "$1/bin/java" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}
ok() { m=$(major_of "$1"); [ -n "$m" ] && [ "$m" -ge "$need" ]; }
if [ -n "${JAVA_HOME:-}" ] && ok "$JAVA_HOME"; then printf '%s\n' "$JAVA_HOME"; exit 0; fi
for home in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
  home=${home%/}
  if ok "$home"; then printf '%s\n' "$home"; exit 0; fi
done
if command -v java >/dev/null 2>&1; then
  home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  if ok "$home"; then printf '%s\n' "$home"; exit 0; fi
fi
echo "percore: no JDK $need or newer found (looked at JAVA_HOME, /usr/lib/jvm, PATH); install one or set JAVA_HOME" >&2
exit 1
