# Sourced by .ci/run and the load-test scripts: exports JAVA_HOME pointing at a JDK >= 21.
# Order: $JAVA_HOME if it is recent enough, then any JDK under /usr/lib/jvm.

_vgate_java_major() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 \
        | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}

_vgate_pick_jdk() {
    local candidate major
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
        major=$(_vgate_java_major "$candidate")
        if [ -n "$major" ] && [ "$major" -ge 21 ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! JAVA_HOME=$(_vgate_pick_jdk); then
    echo "vgate needs a JDK >= 21: set JAVA_HOME (Debian 12's default java is 17)" >&2
    return 1 2>/dev/null || exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
