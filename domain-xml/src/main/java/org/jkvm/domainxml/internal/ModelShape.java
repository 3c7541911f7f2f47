package org.jkvm.domainxml.internal;

import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlElementRef;
import jakarta.xml.bind.annotation.XmlElementRefs;
import jakarta.xml.bind.annotation.XmlMixed;
import jakarta.xml.bind.annotation.XmlRootElement;
import jakarta.xml.bind.annotation.XmlValue;

/**
 * What each model class can hold, read from its JAXB annotations: the child elements it names (and which of them
 * hold one value only) and whether it holds text. The parser uses it to refuse input that JAXB would otherwise drop
 * without a word (a second {@code <name>}, text inside {@code <devices>}). Thread-safe.
 *
 * @param singles      child element names bound to a single-valued field
 * @param children     child element name to the class bound to it
 * @param textAllowed  whether the element holds text
 */
public record ModelShape(Set<String> singles, Map<String, Class<?>> children, boolean textAllowed) {
    private static final ClassValue<ModelShape> SHAPES = new ClassValue<>() {
        @Override
        protected ModelShape computeValue(Class<?> type) {
            return compute(type);
        }
    };

    /** The shape of a model class ({@code String} is a text-only element). */
    public static ModelShape of(Class<?> type) {
        return SHAPES.get(type);
    }

    private static ModelShape compute(Class<?> type) {
        if (type == String.class) {
            return new ModelShape(Set.of(), Map.of(), true);
        }
        Set<String> singles = new HashSet<>();
        Map<String, Class<?>> children = new HashMap<>();
        boolean text = false;
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                text |= f.isAnnotationPresent(XmlValue.class) || f.isAnnotationPresent(XmlMixed.class);
                XmlElement e = f.getAnnotation(XmlElement.class);
                boolean list = List.class.isAssignableFrom(f.getType());
                if (e != null) {
                    children.put(e.name(), list ? elementType(f) : f.getType());
                    if (!list) {
                        singles.add(e.name());
                    }
                }
                XmlElementRefs refs = f.getAnnotation(XmlElementRefs.class);
                if (refs != null) {
                    for (XmlElementRef r : refs.value()) {
                        children.put(r.type().getAnnotation(XmlRootElement.class).name(), r.type());
                    }
                }
            }
        }
        return new ModelShape(Set.copyOf(singles), Map.copyOf(children), text);
    }

    private static Class<?> elementType(Field f) {
        return (Class<?>) ((ParameterizedType) f.getGenericType()).getActualTypeArguments()[0];
    }
}
