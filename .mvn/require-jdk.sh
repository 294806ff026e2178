# Sourced by ./mvnw before Maven starts, so that a JDK older than the build needs fails at once with one line,
# before Maven downloads anything (a first `./mvnw quarkus:dev` would otherwise fetch ~400 MB of dependencies
# first). pom.xml's enforcer rule (require-jdk-21) says the same for builds started with a plain `mvn`.
# The Java it checks is the one Maven will run on: $JAVA_HOME/bin/java, else java on the PATH.
_vgate_java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
_vgate_spec=$("$_vgate_java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
case "$_vgate_spec" in
1.* | [0-9] | 1[0-9] | 20)
  echo "vgate needs JDK 21 or newer, this is Java $_vgate_spec ($_vgate_java). Install one (SDKMAN: sdk install java 21-tem; Debian/Ubuntu: Adoptium's temurin-21-jdk package) and point JAVA_HOME at it, e.g. export JAVA_HOME=/usr/lib/jvm/temurin-21-jdk-amd64" >&2
  exit 1
  ;;
esac
unset _vgate_java _vgate_spec
