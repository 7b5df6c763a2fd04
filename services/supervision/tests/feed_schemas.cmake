# supervision.feed_schemas: the JSON Schemas committed in docs/feed/schemas
# are exactly those `supervision --feed-schemas` generates from the
# protobuf descriptors (feedschema.h): same files, same bytes. On drift,
# regenerate them with
#   supervision --feed-schemas docs/feed/schemas
# and commit the change with the .proto change that caused it.
#   cmake -DBIN=<supervision> -DDIR=<docs/feed/schemas> -DTMP=<dir> -P this
file(REMOVE_RECURSE ${TMP})
file(MAKE_DIRECTORY ${TMP})
execute_process(COMMAND ${BIN} --feed-schemas ${TMP} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "supervision --feed-schemas failed (${rc})")
endif()
file(GLOB made RELATIVE ${TMP} ${TMP}/*.json)
file(GLOB kept RELATIVE ${DIR} ${DIR}/*.json)
list(SORT made)
list(SORT kept)
if(NOT made STREQUAL kept)
	message(FATAL_ERROR "docs/feed/schemas holds other files than are generated:\n  generated: ${made}\n  committed: ${kept}")
endif()
list(LENGTH made n)
if(n LESS 2)
	message(FATAL_ERROR "only ${n} schemas generated")
endif()
foreach(f ${made})
	execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
		${TMP}/${f} ${DIR}/${f} RESULT_VARIABLE same)
	if(NOT same EQUAL 0)
		message(FATAL_ERROR "docs/feed/schemas/${f} differs from the generated one (${TMP}/${f})")
	endif()
endforeach()
file(REMOVE_RECURSE ${TMP})
message(STATUS "feed schemas: ${n} files, as generated")
