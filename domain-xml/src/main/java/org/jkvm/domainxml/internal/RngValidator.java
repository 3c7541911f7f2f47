package org.jkvm.domainxml.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import com.thaiopensource.util.PropertyMapBuilder;
import com.thaiopensource.validate.ValidateProperty;
import com.thaiopensource.validate.ValidationDriver;

import org.jkvm.domainxml.DomainXmlException;

/**
 * Validates documents against one of libvirt's RELAX NG schemas with Jing (an optional dependency: callers check
 * {@link #available()} first). Not thread-safe: use one instance per thread.
 */
public final class RngValidator {
    private final ValidationDriver driver;
    private final List<String> errors = new ArrayList<>();

    private RngValidator(Path schema) {
        PropertyMapBuilder props = new PropertyMapBuilder();
        props.put(ValidateProperty.ERROR_HANDLER, new ErrorHandler() {
            @Override
            public void warning(SAXParseException e) {
                // Warnings do not make a document invalid.
            }

            @Override
            public void error(SAXParseException e) {
                errors.add("line " + e.getLineNumber() + ", column " + e.getColumnNumber() + ": " + e.getMessage());
            }

            @Override
            public void fatalError(SAXParseException e) {
                error(e);
            }
        });
        driver = new ValidationDriver(props.toPropertyMap());
        try {
            if (!driver.loadSchema(ValidationDriver.fileInputSource(schema.toFile()))) {
                throw new DomainXmlException("cannot load the RELAX NG schema " + schema + ": " + errors);
            }
        } catch (SAXException | IOException e) {
            throw new DomainXmlException("cannot load the RELAX NG schema " + schema + ": " + e.getMessage(), e);
        }
    }

    /** True when Jing is on the class path. */
    public static boolean available() {
        try {
            Class.forName("com.thaiopensource.validate.ValidationDriver", false, RngValidator.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * A validator for a schema file (e.g. libvirt's {@code domain.rng}).
     *
     * @throws DomainXmlException when the schema is missing or cannot be compiled
     */
    public static RngValidator forSchema(Path schema) {
        if (!Files.isReadable(schema)) {
            throw new DomainXmlException("the RELAX NG schema " + schema + " does not exist; install libvirt's"
                    + " schemas (Debian: libvirt0) or point to them");
        }
        return new RngValidator(schema);
    }

    /** The validation errors of a document (line, column, message); empty when it is valid. */
    public List<String> validate(String xml) {
        errors.clear();
        try {
            driver.validate(new InputSource(new StringReader(xml)));
        } catch (SAXException | IOException e) {
            errors.add(e.getMessage());
        }
        return List.copyOf(errors);
    }
}
