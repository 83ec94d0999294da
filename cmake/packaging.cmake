# CPack: two Debian packages from the static build (docs/packaging.md), built by
# packaging/deb/build.sh (`cpack -G DEB` in the build directory, into packages/).
#   svinit         /usr/sbin/svinit, /usr/bin/svctl, man pages, bash completion, docs:
#                  everything installed except the components below
#   svinit-compat  the my_init and setuser names, and sv through update-alternatives
# Components: `svinit`, `compat`, `sv-link` (plain installs only) and `Unspecified`
# (install() rules without a COMPONENT: the man pages, the systemd unit), which goes into
# the svinit package so nothing installed is left out of it.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME svinit)
set(CPACK_PACKAGE_VENDOR "svinit")
set(CPACK_PACKAGE_CONTACT "svinit maintainers <svinit@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES OFF)  # the static link strips already (-s)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL svinit Unspecified compat)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_COMPONENT_SVINIT_GROUP main)
set(CPACK_COMPONENT_UNSPECIFIED_GROUP main)
set(CPACK_COMPONENT_COMPAT_GROUP compat)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/svinit")
# Static binaries: no shared library to depend on.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_MAIN_PACKAGE_NAME svinit)
# A description's first line is the synopsis; CPack indents the rest.
set(CPACK_DEBIAN_MAIN_DESCRIPTION "init and supervisor for containers and sandboxes
svinit runs as PID 1 of a container (or beside other processes on a host): it reaps
zombies, passes signals on, and supervises runit service directories and TOML services
with readiness, dependencies and health checks. svctl controls it. Both are static
binaries. The sv, my_init and setuser names are in svinit-compat.")
set(CPACK_DEBIAN_MAIN_PACKAGE_SUGGESTS "svinit-compat, bash-completion")

set(CPACK_DEBIAN_COMPAT_PACKAGE_NAME svinit-compat)
set(CPACK_DEBIAN_COMPAT_PACKAGE_DEPENDS "svinit (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_COMPAT_DESCRIPTION "svinit as runit's sv and baseimage-docker's my_init and setuser
/usr/sbin/my_init runs svinit as a drop-in for baseimage-docker's my_init, and
/usr/sbin/setuser is svctl's setuser. /usr/bin/sv is svctl speaking runit's sv, as an
alternative of low priority: where runit is installed its own sv stays /usr/bin/sv.")
set(CPACK_DEBIAN_COMPAT_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/compat/postinst
    ${PROJECT_SOURCE_DIR}/packaging/deb/compat/prerm)

include(CPack)
