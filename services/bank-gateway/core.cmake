# bank-gateway's ISO 20022 library (issue 14), before the service exists.
#
# Included from services/CMakeLists.txt. It is not this folder's
# CMakeLists.txt on purpose: a services/NAME/ folder with a CMakeLists.txt
# is a service to deploy/local/lib.sh (sn_services: roles, certificates,
# sn_services_start, which fails on a missing binary), to
# deploy/local/contract and to tests/contract (each expects an
# executable NAME with routes and an OpenAPI part). When main.c comes,
# this file becomes CMakeLists.txt with the executable added.
set(BG ${CMAKE_CURRENT_LIST_DIR})
pkg_check_modules(XML2 REQUIRED IMPORTED_TARGET libxml-2.0)

# bank_gateway_core: writing pain.001, reading pain.002 and camt.054,
# validated against the official XSDs in xsd/; the reason code table;
# the reconciliation of settled payments with camt.054 entries.
add_library(bank_gateway_core STATIC ${BG}/iso20022.c ${BG}/pain001.c
	${BG}/pain002.c ${BG}/camt054.c ${BG}/reasons.c ${BG}/recon.c
	${BG}/bankside.c)
target_include_directories(bank_gateway_core PUBLIC ${BG})
target_link_libraries(bank_gateway_core PUBLIC libcommon PkgConfig::XML2
	PRIVATE sn_warnings)

# bank_gateway_unit(TEST SOURCE): a cmocka test bank_gateway.TEST, run
# with the XSDs and the sample documents of the tree.
function(bank_gateway_unit test source)
	set(t bank_gateway_${test}_test)
	add_executable(${t} ${BG}/${source})
	target_link_libraries(${t} PRIVATE bank_gateway_core PkgConfig::CMOCKA
		sn_warnings)
	target_compile_definitions(${t} PRIVATE
		BG_XSD_DIR="${BG}/xsd" BG_DATA_DIR="${BG}/tests/data")
	add_test(NAME bank_gateway.${test} COMMAND ${t})
	set_tests_properties(bank_gateway.${test} PROPERTIES LABELS unit
		TIMEOUT 120)
endfunction()

bank_gateway_unit(amounts tests/amounts_test.c)
bank_gateway_unit(pain001 tests/pain001_test.c)
bank_gateway_unit(pain002 tests/pain002_test.c)
bank_gateway_unit(camt054 tests/camt054_test.c)
bank_gateway_unit(reasons tests/reasons_test.c)
bank_gateway_unit(hostile tests/hostile_test.c)
bank_gateway_unit(recon tests/recon_test.c)
bank_gateway_unit(bankside tests/bankside_test.c)
