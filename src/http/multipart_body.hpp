#pragma once
// A Beast body type whose reader feeds an incremental MultipartParser, so an upload streams to
// disk while it arrives. Private to the server.
#include "http/multipart.hpp"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

#include <memory>
#include <optional>

namespace bb::http {

struct MultipartBody {
    struct value_type {
        std::unique_ptr<MultipartParser> parser;
        std::optional<core::Error> error;  // why the parser refused the body
    };

    class reader {
    public:
        template <bool isRequest, class Fields>
        reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body)
        {
        }

        void init(const boost::optional<std::uint64_t>&, boost::beast::error_code& ec) { ec = {}; }

        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec)
        {
            std::size_t used = 0;
            for (auto buffer : boost::beast::buffers_range_ref(buffers)) {
                auto fed = body_.parser->feed({static_cast<const char*>(buffer.data()), buffer.size()});
                if (!fed) {
                    body_.error = fed.error();
                    ec = boost::beast::http::error::bad_value;  // ends the read; the server answers body_.error
                    return used;
                }
                used += buffer.size();
            }
            ec = {};
            return used;
        }

        void finish(boost::beast::error_code& ec) { ec = {}; }

    private:
        value_type& body_;
    };
};

}  // namespace bb::http
